#!/bin/sh
# `make demo`: the whole path on one machine. Starts lifeboatd on
# 127.0.0.1, puts a VM's MAC into rescue-once, boots the VM through QEMU's
# stock iPXE NIC ROM (QEMU's DHCP points it at lifeboatd's /chain.ipxe),
# waits for the agent's ssh-ready report and prints an ssh command that
# checks the host key against what the agent reported.
#   test-qemu/demo.sh OUTDIR
set -eu
out=$(cd "$1" && pwd)
demo="$out/demo"
mac=52:54:00:de:00:01
bin="$out/build/server"
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free_port)
sshport=${DEMO_SSH_PORT:-$(free_port)}

rm -rf "$demo" && mkdir -p "$demo"
ssh-keygen -q -t ed25519 -N '' -C lifeboat-demo -f "$demo/id_ed25519"
cp "$demo/id_ed25519.pub" "$demo/authorized_keys"

cleanup() {
	[ -n "${qemu_pid:-}" ] && kill "$qemu_pid" 2>/dev/null || true
	[ -n "${lbd_pid:-}" ] && kill "$lbd_pid" 2>/dev/null || true
}
trap cleanup EXIT INT TERM

"$bin/lifeboatd" --port "$port" --state-dir "$demo/state" --payload-dir "$out" \
	--public-url "http://10.0.2.2:$port" --keys-file "$demo/authorized_keys" --nat yes \
	--kernel-args "console=ttyS0,115200n8 random.trust_cpu=on" 2> "$demo/lifeboatd.log" &
lbd_pid=$!
sleep 0.5
"$bin/lifeboatctl" --state-dir "$demo/state" rescue "$mac" --once --nat
echo "lifeboatd: http://127.0.0.1:$port/ (log: $demo/lifeboatd.log)"
echo "booting a VM ($mac) through the stock iPXE ROM; console: $demo/serial.log"

qemu-system-x86_64 -accel "${DEMO_ACCEL:-tcg}" -cpu max -m 256 -nodefaults -vga none -machine graphics=off \
	-display none -serial "file:$demo/serial.log" -device virtio-rng-pci \
	-netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$sshport-:22,bootfile=http://10.0.2.2:$port/chain.ipxe" \
	-device "virtio-net-pci,netdev=n0,mac=$mac" -boot n -smbios type=1,manufacturer=Demo,product=Lifeboat &
qemu_pid=$!

i=0
until "$bin/lifeboatctl" --state-dir "$demo/state" show "$mac" 2>/dev/null | grep -q '"phase":"ssh-ready"'; do
	i=$((i + 1))
	if [ $i -gt 240 ] || ! kill -0 "$qemu_pid" 2>/dev/null; then
		echo "lifeboat: cannot run the demo: no ssh-ready report within 120 s; console tail:" >&2
		tail -n 20 "$demo/serial.log" >&2
		exit 1
	fi
	sleep 0.5
done
"$bin/lifeboatctl" --state-dir "$demo/state" known-hosts "$mac" --host "[127.0.0.1]:$sshport" > "$demo/known_hosts"
"$bin/lifeboatctl" --state-dir "$demo/state" list
ssh_cmd="ssh -i $demo/id_ed25519 -p $sshport -o StrictHostKeyChecking=yes -o UserKnownHostsFile=$demo/known_hosts root@127.0.0.1"
cat <<MSG

The rescue system is up and reported ssh-ready; its policy is back to normal.
Log in, with the host key checked against what the agent reported:

    $ssh_cmd

MSG
if [ -t 0 ]; then
	printf 'Press Enter to stop the demo. '
	read -r _
else
	# not interactive: prove the command works, then stop
	$ssh_cmd -o BatchMode=yes 'lifeboat status | head -1; uname -r'
fi
