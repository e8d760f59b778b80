#!/bin/sh
# lifeboat-image's command line: list, diff, and that a bad manifest
# leaves an existing image untouched. Prints "N passed, N failed".
#   initramfs/tests/cli.sh TOOL MINIMAL.lzma MINIMAL.xz SCRATCH
tool=$1 lzma=$2 xz=$3 scratch=$4
pass=0 fail=0
ok() { pass=$((pass + 1)); }
ko() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
mkdir -p "$scratch"

# list: ls -l style lines, device numbers, symlink targets
"$tool" list "$xz" > "$scratch/list.txt" 2>&1 || ko "list exits non-zero"
grep -qE '^-rwxr-xr-x +1 0 +0 +[0-9]+ [0-9-]+ [0-9:]+ init$' "$scratch/list.txt" && ok || ko "list shows no /init"
grep -qE '^crw------- +1 0 +0 +5, 1 .* dev/console$' "$scratch/list.txt" && ok || ko "list shows no dev/console 5,1"
grep -qE '^lrwxrwxrwx .* bin/sh -> busybox$' "$scratch/list.txt" && ok || ko "list shows no bin/sh -> busybox"
grep -qE '^-rw------- .* etc/shadow$' "$scratch/list.txt" && ok || ko "etc/shadow is not 0600"

# diff: same content in two compressions is equal; a change is named
"$tool" diff "$lzma" "$xz" > "$scratch/diff.txt"; rc=$?
[ $rc = 0 ] && [ ! -s "$scratch/diff.txt" ] && ok || ko "diff of lzma and xz of one image: rc=$rc $(cat "$scratch/diff.txt")"
printf 'file /init %s 0700 0 0\nfile /extra %s 0644 0 0\n' "$scratch/list.txt" "$scratch/list.txt" > "$scratch/other.manifest"
"$tool" build -o "$scratch/other.cpio" "$scratch/other.manifest" >/dev/null || ko "build other.cpio"
"$tool" diff "$lzma" "$scratch/other.cpio" > "$scratch/diff2.txt"; rc=$?
[ $rc = 1 ] && ok || ko "diff of different images exits $rc, not 1"
grep -qx '+ extra' "$scratch/diff2.txt" && ok || ko "diff does not show '+ extra'"
grep -qx -- '- bin/busybox' "$scratch/diff2.txt" && ok || ko "diff does not show '- bin/busybox'"
grep -qE '^~ init: mode 100755 -> 100700; size [0-9]+ -> [0-9]+' "$scratch/diff2.txt" && ok || ko "diff does not describe init's change: $(grep init "$scratch/diff2.txt")"

# join: segments one after another, read like the kernel does (a later
# segment's entry replaces an earlier one of the same path)
printf 'dir /etc 0700 0 0\nfile /etc/motd %s 0644 0 0\n' "$scratch/other.manifest" > "$scratch/seg.manifest"
"$tool" build -o "$scratch/seg.cpio.xz" -b x86 "$scratch/seg.manifest" >/dev/null || ko "build seg.cpio.xz"
"$tool" join -o "$scratch/joined.cpio.xz" "$xz" "$scratch/seg.cpio.xz" >/dev/null && ok || ko "join exits non-zero"
[ "$(stat -c %s "$scratch/joined.cpio.xz")" = $(($(stat -c %s "$xz") + $(stat -c %s "$scratch/seg.cpio.xz"))) ] && ok ||
	ko "the joined image is not the two segments one after another"
"$tool" diff "$xz" "$scratch/joined.cpio.xz" > "$scratch/diff3.txt"; rc=$?
[ $rc = 1 ] && [ "$(wc -l < "$scratch/diff3.txt")" = 2 ] && grep -q '^~ etc: mode 40755 -> 40700' "$scratch/diff3.txt" &&
	grep -qx '+ etc/motd' "$scratch/diff3.txt" && ok ||
	ko "diff of a joined image: rc=$rc $(cat "$scratch/diff3.txt")"
[ "$("$tool" list "$scratch/joined.cpio.xz" | grep -c ' etc$')" = 1 ] && ok || ko "list shows etc twice"
cp "$scratch/joined.cpio.xz" "$scratch/keep.cpio.xz"
"$tool" join -o "$scratch/keep.cpio.xz" "$xz" "$lzma" > /dev/null 2> "$scratch/err.txt"; rc=$?
[ $rc = 1 ] && grep -q "cannot join $lzma: it is .lzma, the images before it .xz" "$scratch/err.txt" && ok ||
	ko "join of .xz and .lzma: rc=$rc $(cat "$scratch/err.txt")"
"$tool" join -o "$scratch/keep.cpio.xz" "$scratch/other.cpio" > /dev/null 2> "$scratch/err.txt"; rc=$?
[ $rc = 1 ] && grep -q "cannot join $scratch/other.cpio: not a whole .xz image (nor a .lzma one)" "$scratch/err.txt" &&
	ok || ko "join of a plain cpio: rc=$rc $(cat "$scratch/err.txt")"
# legacy .lzma segments (make LZMA=1): joined the same way
"$tool" build -o "$scratch/seg.cpio.lzma" "$scratch/seg.manifest" >/dev/null || ko "build seg.cpio.lzma"
"$tool" join -o "$scratch/joined.cpio.lzma" "$lzma" "$scratch/seg.cpio.lzma" >/dev/null && ok ||
	ko "join of two .lzma exits non-zero"
[ "$(stat -c %s "$scratch/joined.cpio.lzma")" = $(($(stat -c %s "$lzma") + $(stat -c %s "$scratch/seg.cpio.lzma"))) ] &&
	ok || ko "the joined .lzma is not the two segments one after another"
cmp -s "$scratch/joined.cpio.xz" "$scratch/keep.cpio.xz" && ok || ko "a failed join changed the existing image"
head -c 100 "$scratch/seg.cpio.xz" > "$scratch/cut.xz"
"$tool" join -o "$scratch/cut-joined.xz" "$scratch/cut.xz" > /dev/null 2>&1 && ko "join of a truncated .xz succeeds" || ok
"$tool" build -o "$scratch/x.cpio.lzma" -b x86 "$scratch/seg.manifest" > /dev/null 2> "$scratch/err.txt" &&
	ko "-b x86 with .lzma output succeeds" || { grep -q "needs .xz output" "$scratch/err.txt" && ok || ko "-b x86 error: $(cat "$scratch/err.txt")"; }

# bad input: clear error with file:line, exit 1, the old image untouched
cp "$scratch/other.cpio" "$scratch/keep.cpio"
printf 'dir /a 755 0 0\nfile /b /nonexistent 644 0 0\n' > "$scratch/bad.manifest"
"$tool" build -o "$scratch/keep.cpio" "$scratch/bad.manifest" > /dev/null 2> "$scratch/err.txt"; rc=$?
[ $rc = 1 ] && ok || ko "bad manifest exits $rc, not 1"
grep -q "bad.manifest:2: cannot use /nonexistent: No such file or directory" "$scratch/err.txt" && ok || ko "error lacks file:line: $(cat "$scratch/err.txt")"
cmp -s "$scratch/other.cpio" "$scratch/keep.cpio" && ok || ko "a failed build changed the existing image"
[ -z "$(ls "$scratch" | grep '\.tmp\.')" ] && ok || ko "a temporary file was left behind"
"$tool" list /nonexistent.cpio > /dev/null 2>&1 && ko "list of a missing file succeeds" || ok

echo "image cli: $pass passed, $fail failed"
[ $fail = 0 ]
