//! Module entry points and the [`module!`](crate::module!) declaration.

use core::cell::UnsafeCell;
use core::ffi::c_int;
use core::mem::MaybeUninit;

use crate::Result;

/// A loadable module: `init` runs at `insmod`, dropping the value runs at
/// `rmmod`.
pub trait Module: Sized + Sync {
    /// Called once when the module is loaded; an error fails the `insmod`.
    fn init() -> Result<Self>;
}

/// Storage for the loaded module's value, used by [`module!`](crate::module!).
#[doc(hidden)]
pub struct Slot<T> {
    value: UnsafeCell<MaybeUninit<T>>,
}

// SAFETY: `value` is written once by `init` and dropped once by `exit`,
// which the kernel never runs concurrently with each other (see their
// contracts); in between, other threads only ever see a `T`, which is `Sync`.
unsafe impl<T: Sync> Sync for Slot<T> {}

impl<T: Module> Slot<T> {
    pub const fn new() -> Self {
        Slot {
            value: UnsafeCell::new(MaybeUninit::uninit()),
        }
    }

    /// Runs `T::init` and keeps its value; returns 0 or `-errno`.
    ///
    /// # Safety
    ///
    /// Only `init_module` may call this: the kernel calls it once, before
    /// anything else of the module runs.
    pub unsafe fn init(&self) -> c_int {
        match T::init() {
            Ok(module) => {
                // SAFETY: nothing else accesses `value` during init_module
                // (the caller's contract).
                unsafe { (*self.value.get()).write(module) };
                0
            }
            Err(error) => error.to_errno(),
        }
    }

    /// Drops the value kept by [`Slot::init`].
    ///
    /// # Safety
    ///
    /// Only `cleanup_module` may call this: the kernel calls it once, and
    /// only after `init_module` succeeded, i.e. after `init` stored a value.
    pub unsafe fn exit(&self) {
        // SAFETY: `init` stored a value and nothing else accesses it any
        // more (the caller's contract).
        unsafe { (*self.value.get()).assume_init_drop() };
    }
}

impl<T: Module> Default for Slot<T> {
    fn default() -> Self {
        Self::new()
    }
}

/// Copies a string into a byte array of its exact length, for `.modinfo`.
#[doc(hidden)]
pub const fn modinfo<const N: usize>(text: &str) -> [u8; N] {
    let bytes = text.as_bytes();
    assert!(bytes.len() == N);
    let mut out = [0u8; N];
    let mut i = 0;
    while i < N {
        out[i] = bytes[i];
        i += 1;
    }
    out
}

/// Compile-time string equality, to check the declared module name.
#[doc(hidden)]
pub const fn same_name(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Declares a loadable module: its type, name, license, author,
/// description and parameters.
///
/// ```no_run,ignore-linux
/// use kernel::prelude::*;
///
/// struct Greeter;
///
/// impl Module for Greeter {
///     fn init() -> Result<Self> {
///         module_parameters::who.with(|who| -> Result {
///             for _ in 0..module_parameters::times.get() {
///                 pr_info!("hello, {}\n", who.to_str()?);
///             }
///             Ok(())
///         })?;
///         Ok(Greeter)
///     }
/// }
///
/// kernel::module! {
///     type: Greeter,
///     name: "greeter",
///     license: "GPL",
///     author: "Jane Doe",
///     description: "Says hello",
///     params: {
///         who: str { default: "world", permissions: 0o444, description: "Whom to greet" },
///         times: u32 { default: 1, permissions: 0o644, description: "How often" },
///     },
/// }
/// ```
///
/// `name` must equal the crate name: the build names the `.ko` after it.
/// Parameter types: `u8`, `i16`, `u16`, `i32`, `u32`, `i64`, `u64`, `bool`,
/// `str` (see [`param`](crate::param)). `permissions` (octal, default 0:
/// not in sysfs) follow the C rules, checked at compile time. Each
/// parameter becomes a `static` of the generated `module_parameters`
/// module.
///
/// The symbols this defines start with `__ko_keep_`: the build keeps those
/// (and what they reference) when it links the module's Rust code.
#[macro_export]
macro_rules! module {
    (
        type: $type:ty,
        name: $name:literal,
        license: $license:literal
        $(, author: $author:literal)?
        $(, description: $description:literal)?
        $(, params: {
            $($pname:ident: $ptype:ident {
                default: $pdefault:expr
                $(, permissions: $pperm:expr)?
                , description: $pdesc:literal
                $(,)?
            }),* $(,)?
        })?
        $(,)?
    ) => {
        const _: () = assert!(
            $crate::module::same_name($name, env!("CARGO_CRATE_NAME")),
            "module! name must equal the crate name"
        );

        static __KO_MODULE: $crate::module::Slot<$type> = $crate::module::Slot::new();

        #[no_mangle]
        #[link_section = ".init.text"]
        pub extern "C" fn init_module() -> ::core::ffi::c_int {
            // SAFETY: this is init_module, which the kernel calls once.
            unsafe { __KO_MODULE.init() }
        }

        #[no_mangle]
        #[link_section = ".exit.text"]
        pub extern "C" fn cleanup_module() {
            // SAFETY: this is cleanup_module, called once after a successful
            // init_module.
            unsafe { __KO_MODULE.exit() }
        }

        // Like C's module_init()/module_exit(): taking the entry points'
        // addresses marks them as indirect-call targets, so objtool keeps
        // their ENDBR on IBT kernels.
        #[no_mangle]
        #[link_section = ".init.data"]
        static __ko_keep_init: extern "C" fn() -> ::core::ffi::c_int = init_module;

        #[no_mangle]
        #[link_section = ".exit.data"]
        static __ko_keep_exit: extern "C" fn() = cleanup_module;

        const __KO_MODINFO: &str = concat!(
            "license=", $license, "\0"
            $(, "author=", $author, "\0")?
            $(, "description=", $description, "\0")?
            $($(
                , "parmtype=", stringify!($pname), ":", $crate::__param!(typename $ptype), "\0"
                , "parm=", stringify!($pname), ":", $pdesc, "\0"
            )*)?
        );

        #[no_mangle]
        #[link_section = ".modinfo"]
        static __ko_keep_modinfo: [u8; __KO_MODINFO.len()] =
            $crate::module::modinfo(__KO_MODINFO);

        $(
            /// The module's parameters (see `kernel::param`).
            #[allow(non_upper_case_globals, dead_code)]
            pub(crate) mod module_parameters {
                $(
                    #[doc = $pdesc]
                    pub(crate) static $pname: $crate::param::Param<$crate::__param!(storage $ptype)> =
                        $crate::param::Param::<$crate::__param!(storage $ptype)>::new(
                            $crate::__param!(default $ptype, $pdefault),
                            0 $(| $pperm)?,
                        );
                )*
            }

            // The `struct kernel_param`s the loader finds in `__param`.
            $(
                const _: () = {
                    #[export_name = concat!("__ko_keep_param_", stringify!($pname))]
                    #[link_section = "__param"]
                    static ENTRY: $crate::param::ParamEntry = $crate::param::ParamEntry::new(
                        $crate::__cstr!(stringify!($pname)),
                        &module_parameters::$pname,
                        $crate::__param!(ops $ptype),
                        0 $(| $pperm)?,
                    );
                };
            )*
        )?
    };
}
