#!/bin/sh
# Builds a static BusyBox with musl, out of tree: defconfig plus the
# overrides in build/busybox.config.
#   build/busybox.sh SRC OBJDIR MUSL_INCLUDE OVERRIDES JOBS
set -eu
src=$1 obj=$2 inc=$3 overrides=$4 jobs=$5
mkdir -p "$obj"
obj=$(cd "$obj" && pwd)
make -C "$src" O="$obj" HOSTCC=gcc defconfig
cfg="$obj/.config"
# apply each CONFIG_X=... / "# CONFIG_X is not set" override
grep -E '^(CONFIG_|# CONFIG_)' "$overrides" | while IFS= read -r line; do
	sym=$(echo "$line" | sed -E 's/^# (CONFIG_[A-Z0-9_]+) is not set$/\1/; s/^(CONFIG_[A-Z0-9_]+)=.*/\1/')
	sed -i -E "/^(# )?$sym[= ]/d" "$cfg"
	echo "$line" >> "$cfg"
done
sed -i -E '/^CONFIG_EXTRA_CFLAGS=/d' "$cfg"
echo "CONFIG_EXTRA_CFLAGS=\"-isystem $inc\"" >> "$cfg"
yes '' | make -C "$src" O="$obj" HOSTCC=gcc CC=musl-gcc oldconfig >/dev/null
make -C "$src" O="$obj" HOSTCC=gcc CC=musl-gcc -j"$jobs" busybox
grep -q '^CONFIG_STATIC=y' "$cfg" || { echo "lifeboat: busybox is not static" >&2; exit 1; }
strip -o "$obj/busybox.stripped" "$obj/busybox"
