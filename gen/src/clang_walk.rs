//! The C side of layout.c: a second libclang parse of bindgen's input (same
//! header, same arguments), read for what bindgen's output cannot say: the
//! C spelling of every complete struct and union (`struct file`, `union
//! thread_union`, or the typedef name of an anonymous one such as
//! `atomic_t`), the C names of its fields, including those reached through
//! anonymous struct/union members (`offsetof(struct file, f_mode)`), and
//! the enumerators with their enum's tag. The numbers are libclang's, the
//! same calls bindgen makes for its layout assertions; `layout` checks them
//! against bindings.rs.

// libclang's constants keep their C names.
#![allow(non_upper_case_globals)]

use std::collections::HashMap;
use std::ffi::{CStr, CString};
use std::os::raw::{c_char, c_int, c_uint};
use std::path::Path;

use anyhow::{bail, Result};
use clang_sys::*;

#[derive(Debug, Clone)]
pub struct Record {
    /// How C names the type: `struct file`, `union foo` or a typedef name.
    pub spelling: String,
    /// How bindgen names it in Rust: the tag or the typedef name.
    pub rust_name: String,
    pub size: u64,
    pub align: u64,
    /// Named, non-bitfield fields, in declaration order; those of
    /// anonymous members are flattened in at their place.
    pub fields: Vec<Field>,
}

#[derive(Debug, Clone)]
pub struct Field {
    /// The C member name (`offsetof(<type>, <name>)`).
    pub name: String,
    /// In bytes from the start of the outermost record.
    pub offset: u64,
    /// A member of the record itself (not reached through an anonymous
    /// member): bindgen asserts its offset under the same record.
    pub direct: bool,
}

#[derive(Debug, Clone)]
pub struct Enumerator {
    /// The enum's tag, if it has one.
    pub tag: Option<String>,
    pub name: String,
    /// As `(unsigned long long)` of the enumerator gives it: sign-extended
    /// for enums of a signed type.
    pub value: u64,
}

#[derive(Debug, Default)]
pub struct Headers {
    pub records: Vec<Record>,
    pub enumerators: Vec<Enumerator>,
    /// Named bitfields (offsetof cannot take them).
    pub bitfields: usize,
}

/// Parses `input` (bindgen's input header) with `args` and collects the
/// records and enumerators. libclang must be loaded on this thread.
pub fn walk(input: &Path, args: &[String]) -> Result<Headers> {
    // (clang-sys loads libclang per thread.)
    crate::run_bindgen::load_libclang()?;
    let c_args: Vec<CString> = args
        .iter()
        .map(|a| CString::new(a.as_str()))
        .collect::<Result<_, _>>()?;
    let c_ptrs: Vec<*const c_char> = c_args.iter().map(|a| a.as_ptr()).collect();
    let file = CString::new(input.as_os_str().as_encoded_bytes())?;
    // SAFETY: libclang C API used as documented; every pointer passed
    // outlives the call, and the index and unit are disposed of below.
    unsafe {
        let index = clang_createIndex(0, 0);
        let mut tu: CXTranslationUnit = std::ptr::null_mut();
        let err = clang_parseTranslationUnit2(
            index,
            file.as_ptr(),
            c_ptrs.as_ptr(),
            c_ptrs.len() as c_int,
            std::ptr::null_mut(),
            0,
            CXTranslationUnit_SkipFunctionBodies,
            &mut tu,
        );
        if err != CXError_Success || tu.is_null() {
            clang_disposeIndex(index);
            bail!("libclang could not parse the headers (error {err})");
        }
        let result = first_error(tu).map_or_else(
            || {
                let mut walker = Walker::default();
                walker.decls(clang_getTranslationUnitCursor(tu));
                Ok(walker.out)
            },
            |e| bail!("libclang: {e}"),
        );
        clang_disposeTranslationUnit(tu);
        clang_disposeIndex(index);
        result
    }
}

unsafe fn first_error(tu: CXTranslationUnit) -> Option<String> {
    // SAFETY: `tu` is a live translation unit (the caller's); each diagnostic
    // is disposed of once, after its spelling was copied out by `string`.
    unsafe {
        for i in 0..clang_getNumDiagnostics(tu) {
            let diag = clang_getDiagnostic(tu, i);
            let severity = clang_getDiagnosticSeverity(diag);
            let text = string(clang_getDiagnosticSpelling(diag));
            clang_disposeDiagnostic(diag);
            if severity >= CXDiagnostic_Error {
                return Some(text);
            }
        }
        None
    }
}

#[derive(Default)]
struct Walker {
    out: Headers,
    /// Records already emitted, by `clang_hashCursor`.
    seen: HashMap<c_uint, Vec<CXCursor>>,
}

impl Walker {
    /// Declarations directly in `parent` (the translation unit or a record:
    /// in C, tags declared inside a struct are file-scope tags).
    unsafe fn decls(&mut self, parent: CXCursor) {
        // SAFETY: `parent` is a cursor of the live translation unit `walk` parses
        // (the caller's contract); the cursors libclang hands back belong to it.
        unsafe {
            for c in children(parent) {
                match clang_getCursorKind(c) {
                    CXCursor_StructDecl | CXCursor_UnionDecl => {
                        if clang_isCursorDefinition(c) == 0 {
                            continue;
                        }
                        if let Some(tag) = tag_name(c) {
                            let keyword = if clang_getCursorKind(c) == CXCursor_UnionDecl {
                                "union"
                            } else {
                                "struct"
                            };
                            self.record(c, format!("{keyword} {tag}"), tag);
                        }
                        self.decls(c);
                    }
                    CXCursor_TypedefDecl => {
                        let decl = clang_getTypeDeclaration(clang_getTypedefDeclUnderlyingType(c));
                        let kind = clang_getCursorKind(decl);
                        let record = kind == CXCursor_StructDecl || kind == CXCursor_UnionDecl;
                        if record && clang_isCursorDefinition(decl) != 0 && tag_name(decl).is_none()
                        {
                            let name = string(clang_getCursorSpelling(c));
                            self.record(decl, name.clone(), name);
                        }
                    }
                    CXCursor_EnumDecl if clang_isCursorDefinition(c) != 0 => self.enumerators(c),
                    _ => {}
                }
            }
        }
    }

    unsafe fn record(&mut self, c: CXCursor, spelling: String, rust_name: String) {
        // SAFETY: `c` is a record cursor of the live translation unit (the
        // caller's contract); `ty` is its type, `fields` gets cursors of the same unit.
        unsafe {
            let same = self.seen.entry(clang_hashCursor(c)).or_default();
            if same.iter().any(|s| clang_equalCursors(*s, c) != 0) {
                return;
            }
            same.push(c);
            let ty = clang_getCursorType(c);
            let (size, align) = (clang_Type_getSizeOf(ty), clang_Type_getAlignOf(ty));
            if size < 0 || align <= 0 {
                return;
            }
            let mut fields = Vec::new();
            self.fields(c, ty, true, &mut fields);
            self.out.records.push(Record {
                spelling,
                rust_name,
                size: size as u64,
                align: align as u64,
                fields,
            });
        }
    }

    /// Fields of `rec` as members of `top` (the outermost record).
    unsafe fn fields(&mut self, rec: CXCursor, top: CXType, direct: bool, out: &mut Vec<Field>) {
        // SAFETY: `rec` and `top` are a record cursor and type of the live
        // translation unit (the caller's contract); `c_name` outlives the call it
        // is passed to.
        unsafe {
            for c in children(rec) {
                match clang_getCursorKind(c) {
                    CXCursor_FieldDecl => {
                        let name = string(clang_getCursorSpelling(c));
                        if !is_identifier(&name) {
                            continue;
                        }
                        if clang_Cursor_isBitField(c) != 0 {
                            self.out.bitfields += 1;
                            continue;
                        }
                        let Ok(c_name) = CString::new(name.as_str()) else {
                            continue;
                        };
                        let bits = clang_Type_getOffsetOf(top, c_name.as_ptr());
                        if bits < 0 || bits % 8 != 0 {
                            continue;
                        }
                        out.push(Field {
                            name,
                            offset: bits as u64 / 8,
                            direct,
                        });
                    }
                    CXCursor_StructDecl | CXCursor_UnionDecl
                        if clang_Cursor_isAnonymousRecordDecl(c) != 0 =>
                    {
                        self.fields(c, top, false, out);
                    }
                    _ => {}
                }
            }
        }
    }

    unsafe fn enumerators(&mut self, c: CXCursor) {
        // SAFETY: `c` is an enum cursor of the live translation unit (the
        // caller's contract); its children are cursors of the same unit.
        unsafe {
            let int = clang_getCanonicalType(clang_getEnumDeclIntegerType(c));
            let unsigned = matches!(
                int.kind,
                CXType_Bool
                    | CXType_Char_U
                    | CXType_UChar
                    | CXType_UShort
                    | CXType_UInt
                    | CXType_ULong
                    | CXType_ULongLong
                    | CXType_UInt128
            );
            let tag = tag_name(c);
            for k in children(c) {
                if clang_getCursorKind(k) != CXCursor_EnumConstantDecl {
                    continue;
                }
                let value = if unsigned {
                    clang_getEnumConstantDeclUnsignedValue(k)
                } else {
                    clang_getEnumConstantDeclValue(k) as u64
                };
                self.out.enumerators.push(Enumerator {
                    tag: tag.clone(),
                    name: string(clang_getCursorSpelling(k)),
                    value,
                });
            }
        }
    }
}

/// The tag of a struct, union or enum declaration, if it has one (libclang
/// spells anonymous ones as "" or, in newer versions, "(unnamed ...)").
unsafe fn tag_name(c: CXCursor) -> Option<String> {
    // SAFETY: `c` is a cursor of a live translation unit (the caller's
    // contract); its spelling is copied and disposed of by `string`.
    unsafe {
        if clang_Cursor_isAnonymous(c) != 0 {
            return None;
        }
        let name = string(clang_getCursorSpelling(c));
        is_identifier(&name).then_some(name)
    }
}

fn is_identifier(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with(|c: char| c.is_ascii_digit())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

unsafe fn string(s: CXString) -> String {
    // SAFETY: `s` is a CXString libclang returned and nothing else owns (the
    // caller's contract): its C string, when not null, is NUL-terminated and
    // valid until the one clang_disposeString below, after it was copied.
    unsafe {
        let p = clang_getCString(s);
        let out = if p.is_null() {
            String::new()
        } else {
            CStr::from_ptr(p).to_string_lossy().into_owned()
        };
        clang_disposeString(s);
        out
    }
}

unsafe fn children(parent: CXCursor) -> Vec<CXCursor> {
    extern "C" fn visit(c: CXCursor, _parent: CXCursor, data: CXClientData) -> CXChildVisitResult {
        // SAFETY: `data` is the Vec passed by `children` below.
        let out = unsafe { &mut *(data as *mut Vec<CXCursor>) };
        out.push(c);
        CXChildVisit_Continue
    }
    let mut out: Vec<CXCursor> = Vec::new();
    // SAFETY: `parent` is a cursor of a live translation unit (the caller's
    // contract); `out` outlives the visit, and `visit` is the only user of
    // the pointer to it, during clang_visitChildren.
    unsafe {
        clang_visitChildren(
            parent,
            visit,
            &mut out as *mut Vec<CXCursor> as CXClientData,
        )
    };
    out
}
