# shellcheck shell=bash
# Helpers of bench/run.sh: timing, samples and medians, cargo timings,
# profiles, the table and the README section. Source it after scripts/lib.sh
# (which sets $repo), then set $work (a scratch directory) and $samples.
: "${repo:?}"
work=${work:-}
samples=${samples:-}
last=

say() { printf 'bench: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }
# fail LOG WHAT: the end of a failed command's output, then stop.
fail() { tail -n 30 "$1" >&2; die "$2 failed (output above)"; }

# 6.1.0-56-amd64 -> 6.1, 6.12.117+deb12-amd64 -> 6.12
version_of() { [[ $1 =~ ^[0-9]+\.[0-9]+ ]] && echo "${BASH_REMATCH[0]}"; }

div() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.4f", a / b }'; }
sample() { echo "$1 $2" >>"$samples"; }

# timed KEY COMMAND...: runs COMMAND (output to $work/log), records its
# wall-clock seconds under KEY and in $last.
timed() {
    local key=$1 start
    shift
    start=$EPOCHREALTIME
    "$@" >"$work/log" 2>&1 || fail "$work/log" "$key ($*)"
    last=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }')
    sample "$key" "$last"
    say "  $key: $last s"
}

# median KEY: the median of KEY's samples; fails when there is none.
median() {
    awk -v k="$1" '$1 == k { print $2 }' "$samples" | sort -g |
        awk '{ v[NR] = $1 } END { if (NR == 0) exit 1
             print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# Prefixes each line of stdin with the time it was read.
stamp() {
    local line
    while IFS= read -r line; do printf '%s %s\n' "$EPOCHREALTIME" "$line"; done
}

# make_vars KDIR [NAME=value...] VAR...: values of bindings/mk/kmod.mk's variables for
# KDIR (with those make variables set), one a line.
make_vars() {
    local kdir=$1 arg
    local -a sets=() refs=()
    shift
    for arg; do
        # shellcheck disable=SC2016 # $(VAR) is for make
        if [[ $arg == *=* ]]; then sets+=("$arg"); else refs+=("\"\$($arg)\""); fi
    done
    make -s -C "$repo" --no-print-directory KDIR="$kdir" KMOD_BUILD="$work/vars" \
        KMOD_OUT="$work/vars" "${sets[@]}" --eval "bench-vars: ; @printf '%s\\n' ${refs[*]}" bench-vars
}

# setup_timings_cargo DIR KDIR: sets kmod_rustc and kmod_cargo (the kernel-side
# toolchain kmod.mk uses) and makes DIR a RUST_ROOT with the same rustc and
# that cargo plus --timings on builds.
kmod_rustc='' kmod_cargo=''
setup_timings_cargo() {
    local root=$1 tools
    tools=$(make_vars "$2" KO_RUSTC KO_CARGO)
    kmod_rustc=$(sed -n 1p <<<"$tools")
    kmod_cargo=$(sed -n 2p <<<"$tools")
    if [ ! -x "$kmod_rustc" ] || [ ! -x "$kmod_cargo" ]; then
        die "cannot find kmod.mk's rustc and cargo (KO_RUSTC, KO_CARGO)"
    fi
    mkdir -p "$root/bin"
    ln -sf "$kmod_rustc" "$root/bin/rustc"
    printf '%s\n' '#!/bin/sh' \
        "if [ \"\$1\" = build ]; then exec '$kmod_cargo' \"\$@\" --timings; fi" \
        "exec '$kmod_cargo' \"\$@\"" >"$root/bin/cargo"
    chmod +x "$root/bin/cargo"
}

# cargo_units HTML: "name|target|start|duration" for each unit of a cargo
# --timings report (target is empty for a library).
cargo_units() {
    awk '/const UNIT_DATA = \[/ { on = 1; next }
        on && /^\];/ { exit }
        on && /"name":/ { n = $0; sub(/.*"name": "/, "", n); sub(/".*/, "", n) }
        on && /"target":/ { t = $0; sub(/.*"target": "/, "", t); sub(/".*/, "", t) }
        on && /"start":/ { s = $2; sub(/,/, "", s) }
        on && /"duration":/ { d = $2; sub(/,/, "", d); print n "|" t "|" s "|" d }' "$1"
}

# unit_duration UNITS NAME: seconds the library NAME took.
unit_duration() { awk -F'|' -v n="$2" '$1 == n && $2 == "" { print $4; exit }' "$1"; }
unit_start() { awk -F'|' -v n="$2" '$1 == n && $2 == "" { print $3; exit }' "$1"; }

secs() { awk -v v="$1" 'BEGIN { printf(v < 10 ? "%.2f s" : "%.1f s", v) }'; }
times() { awk -v v="$1" 'BEGIN { printf(v < 2 ? "%.2f×" : "%.1f×", v) }'; }

machine() {
    local cpu mem
    cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
    mem=$(awk '/^MemTotal/ { printf "%.0f", $2 / 1048576 }' /proc/meminfo)
    echo "$(nproc) cores ($cpu), $mem GiB, $(. /etc/os-release && echo "$PRETTY_NAME"), $(rustc_version)"
}
rustc_version() { "$kmod_rustc" -V; }

# Sum of the sizes of a file's executable (SHF_EXECINSTR) sections.
text_size() {
    local name size total=0
    while read -r name size; do total=$((total + 16#$size)); done < <(
        readelf -SW "$1" | sed 's/^ *\[ *[0-9]*\]//' | awk '$7 ~ /X/ { print $1, $5 }')
    echo "$total"
}

# verdict CONDITION VALUE...: "met" when the awk CONDITION on v holds for
# every VALUE, else "missed".
verdict() {
    local cond=$1 v ok=met
    shift
    for v; do
        awk -v v="$v" "BEGIN { exit !($cond) }" || ok=missed
    done
    echo "$ok"
}

# render_table KERNEL...: the markdown results table.
render_table() {
    local k cell v r cold warm rtext ctext
    local -a ratios=() noops=() colds=() texts=()
    printf '| |'; printf ' %s |' "$@"; printf ' target |\n'
    printf '|---|'; printf -- '---:|%.0s' "$@"; printf -- '---|\n'
    row() { printf '| %s |' "$1"; shift; printf ' %s |' "$@"; printf '\n'; }

    cell=(); for k; do cell+=("$(secs "$(median "rust@$k")")"); done
    row "(1) clean build, Rust hello.ko (\`make clean && make\`, caches warm)" "${cell[@]}" ""
    cell=(); for k; do cell+=("$(secs "$(median "c@$k")")"); done
    row "(1) clean build, C hello.ko (Kbuild)" "${cell[@]}" ""
    cell=(); for k; do
        r=$(median "c/rust@$k"); ratios+=("$r"); cell+=("$(times "$r")")
    done
    row "(1) ratio Rust / C" "${cell[@]}" "≤ 1.3×: $(verdict 'v <= 1.3' "${ratios[@]}")"
    cell=(); for k; do cell+=("$(secs "$(median "rustcold@$k")") = $(times "$(median "rustcold/c@$k")") C"); done
    row "(1) Rust hello.ko, cold cargo cache (empty target dir, core warm) ÷ C" "${cell[@]}" ""
    cell=(); for k; do cell+=("$(secs "$(median "settle@$k")")"); done
    row "(1) Rust hello.ko, first \`make clean && make\` after the cold build" "${cell[@]}" ""
    cell=(); for k; do v=$(median "noop@$k"); noops+=("$v"); cell+=("$(secs "$v")"); done
    row "(2) no-op \`make\`" "${cell[@]}" "≤ 0.5 s: $(verdict 'v <= 0.5' "${noops[@]}")"
    cell=(); for k; do
        cold=$(median "cold/rust@$k"); colds+=("$cold")
        cell+=("$(secs "$(median "cold@$k")") = $(times "$cold")")
    done
    row "(3) bindgen in build.rs, cold (empty target dir: bindgen compiled) ÷ (1)" "${cell[@]}" \
        "≥ 10×: $(verdict 'v >= 10' "${colds[@]}")"
    cell=(); for k; do
        warm=$(median "warm/rust@$k")
        cell+=("$(secs "$(median "warm@$k")") = $(times "$warm")")
    done
    row "(3) bindgen in build.rs, warm (bindgen already compiled) ÷ (1)" "${cell[@]}" ""
    local key label gens
    while IFS='|' read -r key label; do
        cell=() gens=()
        for k; do v=$(median "$key@$k"); gens+=("$v"); cell+=("$(secs "$v")"); done
        row "$label" "${cell[@]}" "≤ 10 s: $(verdict 'v <= 10' "${gens[@]}")"
    done <<'ROWS'
gen|(4) gen, a set never made before (`gen --kdir`, empty sets dir, cold cache)
genagain|(4) gen, the committed set made again (`gen --kdir` over sets/, cold cache)
ROWS

    local set dir name bytes lines wrapped t shown
    for dir in "$repo"/bindings/sets/*/; do
        # Full files: a set stored as deltas is read through its copy.
        dir=$(ko_facts materialized "$dir" "$repo/build") && [ -f "$dir/bindings.rs" ] || continue
        name=$(basename "$dir")
        bytes=$(stat -c %s "$dir/bindings.rs")
        lines=$(wc -l <"$dir/bindings.rs")
        wrapped=$(grep -cE '__extern\(.*\) *\{' "$dir/wrappers.c" || true)
        t=$(median "bindings-rustc@$name" 2>/dev/null) && t=$(secs "$t") || t="n/a"
        set="$(awk -v b="$bytes" 'BEGIN { printf "%.2f MB", b / 1e6 }'), $lines lines, $wrapped wrapped fns, compiles in $t"
        cell=() shown=0; for k; do
            if [ "$(version_of "$k")" = "${name%%-*}" ]; then cell+=("$set") shown=1; else cell+=(""); fi
        done
        # (Sets of another series than the benched kernels': no column.)
        [ "$shown" = 1 ] || continue
        row "(5) set $name: bindings.rs, wrappers.c, kernel-bindings crate" "${cell[@]}" ""
    done

    cell=(); for k; do
        cell+=("$(stat -c %s "$work/$k/rust/hello.ko") / $(stat -c %s "$work/$k/c/hello.ko") B")
    done
    row "(6) hello.ko size, Rust / C" "${cell[@]}" ""
    cell=(); for k; do
        rtext=$(text_size "$work/$k/rust/hello.ko"); ctext=$(text_size "$work/$k/c/hello.ko")
        r=$(div "$rtext" "$ctext"); texts+=("$r")
        cell+=("$rtext / $ctext B = $(times "$r")")
    done
    row "(6) .text (all executable sections), Rust / C" "${cell[@]}" \
        "≤ 1.5×: $(verdict 'v <= 1.5' "${texts[@]}")"
}

# scale_sizes DIR: the kernel-bindings package (DIR: its directory) as its
# sets are added in version order, one line each: "k set stored compressed
# package" (bytes), k = 0 being the package without sets. compressed: the
# set's stored files (deltas as stored) in a tar, gzip -9 (as cargo packs
# a crate); package: the package without sets plus the first k sets'
# compressed sizes (gzip's window is 32 KiB, so compressing them together
# saves next to nothing). Last line "all - - - BYTES": the whole package
# compressed in one go, the figure crates.io's 10 MB limit applies to.
scale_sizes() {
    local dir=$1 listed base total set files stored gz k=0
    listed=$(cd "$repo" && cargo package --list --allow-dirty --quiet -p kernel-bindings 2>/dev/null) ||
        die "cargo package --list -p kernel-bindings failed"
    # (Files cargo writes itself, such as Cargo.toml.orig, are not on disk.)
    on_disk() { while read -r f; do [ ! -f "$dir/$f" ] || echo "$f"; done; }
    packed() { (cd "$dir" && tar -cf - --owner=0 --group=0 -T - | gzip -9 | wc -c); }
    base=$(awk -F/ '!($1 == "sets" && NF > 2)' <<<"$listed" | on_disk | packed)
    total=$base
    echo "0 - 0 $base $base"
    for set in $(awk -F/ '$1 == "sets" && NF > 2 { print $2 }' <<<"$listed" | sort -uV); do
        files=$(grep "^sets/$set/" <<<"$listed" | on_disk)
        stored=$(cd "$dir" && xargs cat <<<"$files" | wc -c)
        gz=$(packed <<<"$files")
        k=$((k + 1)) total=$((total + gz))
        echo "$k $set $stored $gz $total"
    done
    echo "all - - - $(on_disk <<<"$listed" | packed)"
}

mb() { awk -v b="$1" 'BEGIN { printf "%.2f MB", b / 1e6 }'; }

# scale_table SIZES N: the package and gen rows of the README table.
scale_table() {
    local sizes=$1 n=$2 k t whole sets stored
    sets=$(awk '$1 ~ /^[0-9]+$/ && $1 > 0' "$sizes" | wc -l)
    stored=$(awk '$1 ~ /^[0-9]+$/ { s += $3 } END { print s }' "$sizes")
    whole=$(awk '$1 == "all" { print $5 }' "$sizes")
    echo "Sets at scale (plot: \`bench/results/scale.png\`):"
    echo
    echo "| | value | target |"
    echo "|---|---:|---|"
    echo "| (7) kernel-bindings package, $sets sets ($(mb "$stored") stored), compressed as crates.io gets it | $(mb "$whole") | ≤ 10 MB: $(verdict 'v <= 10e6' "$whole") |"
    echo "| (7) the package without sets | $(mb "$(awk '$1 == 0 { print $5 }' "$sizes")") | |"
    echo "| (7) per set, compressed: smallest / median / largest | $(awk '$1 ~ /^[0-9]+$/ && $1 > 0 { print $4 }' "$sizes" | sort -n |
        awk '{ v[NR] = $1 } END { printf "%.2f / %.2f / %.2f MB", v[1] / 1e6, v[int((NR + 1) / 2)] / 1e6, v[NR] / 1e6 }') | |"
    for k in $(seq "$n"); do
        t=$(median "genscale@$k")
        echo "| (7) \`gen --check\` of $k installed set$([ "$k" = 1 ] || echo s) at once (one per core), cold cache | $(secs "$t") = $(secs "$(div "$t" "$k")") per set | |"
    done
}

# scale_plot SIZES PNG N: package size against the number of sets, and
# the wall time of `gen --check` of k sets at once, k = 1..N.
scale_plot() {
    local sizes=$1 png=$2 n=$3 k data=$work/genscale.dat
    command -v gnuplot >/dev/null || die "no gnuplot: sudo apt-get install gnuplot-nox (make setup installs it)"
    : >"$data"
    for k in $(seq "$n"); do echo "$k $(median "genscale@$k")" >>"$data"; done
    awk '$1 ~ /^[0-9]+$/' "$sizes" >"$work/sizes.dat"
    gnuplot <<EOF || die "gnuplot failed"
set terminal pngcairo size 1100,420 font ",10"
set output "$png"
set multiplot layout 1,2 title "make bench, $(date -u +%Y-%m-%d): the sets at scale"
set grid
set key top left
set xlabel "committed sets in the package (version order)"
set ylabel "MB, compressed"
set yrange [0:12]
plot "$work/sizes.dat" using 1:(\$5/1e6) with linespoints title "kernel-bindings package", \
     10 with lines dashtype 2 title "crates.io limit"
set xlabel "sets checked at once (gen --check, one per core, cold cache)"
set ylabel "seconds"
set yrange [0:*]
set xrange [0.5:$n.5]
set xtics 1
plot "$data" using 1:2 with linespoints title "wall time", \
     "$data" using 1:(\$2/\$1) with linespoints title "per set"
unset multiplot
EOF
}

# profile_line KERNEL PREFIX [WHAT]: where a profiled build's time went, from
# PREFIX.log (time-stamped make output), PREFIX.span and PREFIX.units.
profile_line() {
    local rel=$1 p=$2 what=${3:-} host lib units deps
    read -r t0 t1 <"$p.span"
    # Units cargo found fresh are listed too, with a duration of about 0.
    awk -F'|' '$4 >= 0.05' "$p.units" >"$p.compiled"
    deps=$(awk -F'|' '$1 != "kernel-bindings" && $1 != "kernel" && $1 != "hello" \
        { printf "%s %.1f\n", $1, $4 }' "$p.compiled" | sort -k2 -rg | head -n 3 | paste -sd, | sed 's/,/, /g')
    host='' lib=''
    if [ -n "$deps" ]; then
        host=$(unit_start "$p.compiled" kernel-bindings)
        lib=$(unit_duration "$p.compiled" kernel-bindings)
    fi
    units=$(awk -F'|' '{ printf "%s%s %.1f", sep, $1 ($2 == "" ? "" : " (" $2 ")"), $4; sep = ", " }' "$p.compiled")
    awk -v t0="$t0" -v t1="$t1" -v rel="$rel" -v what="$what" -v host="$host" -v lib="$lib" -v units="$units" \
        -v kern="$(unit_duration "$p.units" kernel)" -v hello="$(unit_duration "$p.units" hello)" \
        -v deps="$deps" '
        function f(x) { return sprintf("%.1f", x) }
        /^[0-9.]+   [A-Z]/ {
            if (n) d[n] = $1 - t[n]
            n++; t[n] = $1; $1 = ""; label = $0; sub(/^ +/, "", label)
            sub(/ \/.*\//, " ", label); sub(/ +/, " ", label); name[n] = label
        }
        END {
            d[n] = t1 - t[n]
            for (i = 1; i <= n; i++) {
                if (name[i] ~ /^CARGO/) { c0 = t[i]; ci = i }
                if (name[i] ~ /^BINDINGS/) { cargo = t[i] - c0; bi = i }
            }
            printf "- %s%s: %s s = make %s + cargo %s (", rel, what, f(t1 - t0), f(c0 - t0), f(cargo)
            if (lib != "")
                printf "build script and its host crates %s [%s], kernel-bindings %s, kernel %s, hello %s",
                    f(host), deps, f(lib), f(kern), f(hello)
            else
                printf "compiled: %s; the rest is cargo starting and checking what is fresh", units == "" ? "nothing" : units
            printf ") + Kbuild %s (", f(t1 - t[bi])
            name[bi] = "make -C KDIR startup"
            for (i = bi; i <= n; i++) {
                if (d[i] >= 0.1) { printf "%s%s %s", sep, name[i], f(d[i]); sep = ", " } else rest += d[i]
            }
            printf "%sother steps %s)\n", sep, f(rest)
        }' "$p.log"
}

# text_split_line KERNEL KO: the Rust module's code by origin (symbol sizes).
text_split_line() {
    local size type name kind shims=0 wrappers=0 rust=0 nshims=0 top
    while read -r _ size type name; do
        case $type in t | T) ;; *) continue ;; esac
        kind=${name#__pfx_}
        case $kind in
            rust_shim_*) shims=$((shims + 16#$size)); [ "$kind" = "$name" ] && nshims=$((nshims + 1)) ;;
            *__extern) wrappers=$((wrappers + 16#$size)) ;;
            *) rust=$((rust + 16#$size)) ;;
        esac
    done < <(nm -S --defined-only "$2" | awk 'NF == 4')
    top=$(nm -S --defined-only --demangle=rust "$2" | awk 'NF >= 4 && $3 ~ /^[tT]$/' |
        grep -v -e ' rust_shim_' -e '__extern$' -e ' __pfx_' |
        while read -r _ size _ name; do echo "$name $((16#$size))"; done | paste -sd, | sed 's/,/, /g')
    echo "- $1: .text of the Rust hello.ko by origin (symbol sizes): shims $shims B ($nshims functions: the shim/*.c files it calls, each linked whole), static-inline wrappers $wrappers B, Rust $rust B ($top)"
}

# replace_readme_section README FILE: FILE's text becomes what is between
# <!-- bench:begin --> and <!-- bench:end -->; nothing else changes.
replace_readme_section() {
    local readme=$1 text=$2 new
    if ! grep -q '^<!-- bench:begin -->$' "$readme" || ! grep -q '^<!-- bench:end -->$' "$readme"; then
        die "$readme has no <!-- bench:begin --> / <!-- bench:end --> markers"
    fi
    new=$(mktemp "$work/readme.XXXXXX")
    awk -v text="$text" '
        /^<!-- bench:begin -->$/ { print; while ((getline line < text) > 0) print line; skip = 1; next }
        /^<!-- bench:end -->$/ { skip = 0 }
        !skip' "$readme" >"$new"
    cat "$new" >"$readme"
}
