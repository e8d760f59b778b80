#!/bin/sh
# Makes OBJDIR/.config: ARCH=x86_64 tinyconfig, then the fragments merged on
# top, then olddefconfig. Fails, naming each option, when a requested value
# did not land in the final .config (merge_config.sh drops unknown or
# unsatisfiable options silently).
#   build/kernel-config.sh SRC OBJDIR FRAGMENT...
set -eu
src=$1 obj=$2
shift 2
mkdir -p "$obj"
obj=$(cd "$obj" && pwd)
make -C "$src" O="$obj" ARCH=x86_64 tinyconfig >/dev/null
KCONFIG_CONFIG="$obj/.config" "$src/scripts/kconfig/merge_config.sh" -m -O "$obj" \
	"$obj/.config" "$@" >/dev/null
make -C "$src" O="$obj" ARCH=x86_64 olddefconfig >/dev/null

bad=0
for frag in "$@"; do
	grep -E '^(CONFIG_[A-Za-z0-9_]+=|# CONFIG_[A-Za-z0-9_]+ is not set)' "$frag" |
	while IFS= read -r want; do
		case $want in
		"# "*)
			sym=${want#\# }; sym=${sym%% *}
			if grep -qE "^$sym=" "$obj/.config"; then
				echo "lifeboat: kernel option $sym: requested off in $frag, but the final .config has '$(grep -E "^$sym=" "$obj/.config")'" >&2
				echo x
			fi ;;
		*)
			sym=${want%%=*}
			if ! grep -qxF "$want" "$obj/.config"; then
				have=$(grep -E "^$sym=|^# $sym is not set" "$obj/.config" || echo "absent (unknown name or unmet dependency)")
				echo "lifeboat: kernel option $sym: requested '$want' in $frag, final .config has: $have" >&2
				echo x
			fi ;;
		esac
	done
done > "$obj/.config-mismatch"
if [ -s "$obj/.config-mismatch" ]; then
	rm -f "$obj/.config"
	exit 1
fi
