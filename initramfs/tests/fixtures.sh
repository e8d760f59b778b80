#!/bin/sh
# Builds the ELF fixtures for test_elfdeps into DIR:
#   static          a static (musl) binary: no interpreter, no libraries
#   origin/prog     needs libfix.so, found through RUNPATH $ORIGIN/lib
#   needs-missing   needs libmissing.so, which no longer exists
set -eu
dir=$1
rm -rf "$dir" && mkdir -p "$dir/origin/lib" "$dir/tmp"
printf 'int main(void){return 0;}\n' > "$dir/tmp/main.c"
printf 'int fix(void){return 1;}\n' > "$dir/tmp/fix.c"
printf 'int fix(void); int main(void){return fix();}\n' > "$dir/tmp/usefix.c"
musl-gcc -static -o "$dir/static" "$dir/tmp/main.c"
gcc -shared -fPIC -Wl,-soname,libfix.so -o "$dir/origin/lib/libfix.so" "$dir/tmp/fix.c"
gcc -o "$dir/origin/prog" "$dir/tmp/usefix.c" -L"$dir/origin/lib" -lfix -Wl,--enable-new-dtags,-rpath,'$ORIGIN/lib'
gcc -shared -fPIC -Wl,-soname,libmissing.so -o "$dir/tmp/libmissing.so" "$dir/tmp/fix.c"
gcc -o "$dir/needs-missing" "$dir/tmp/usefix.c" -L"$dir/tmp" -lmissing
rm -rf "$dir/tmp"
