#!/bin/sh
# `make run`: boots the built payload in QEMU on this terminal (serial
# console on stdio) with SSH forwarded to localhost, for a person to try.
#   test-qemu/run.sh OUTDIR
# Environment: RUN_SSH_PORT (2222), RUN_MEM (256), RUN_ACCEL (tcg; kvm where it works),
# RUN_APPEND (extra kernel arguments).
set -eu
out=$1
port=${RUN_SSH_PORT:-2222}
key="$out/run/id_ed25519"
mkdir -p "$out/run"
if [ ! -f "$key" ]; then
	ssh-keygen -q -t ed25519 -N '' -C lifeboat-run -f "$key"
fi
pub=$(cut -d' ' -f1,2 "$key.pub")
# QEMU's -initrd takes one file: with the rescue profile, the image and the
# toolbox one after the other, the second at a multiple of 4 bytes as a
# boot loader puts it
initrd="$out/initramfs.cpio.xz"
if [ -f "$out/toolbox.cpio" ]; then
	initrd="$out/run/initrd-with-toolbox"
	{ cat "$out/initramfs.cpio.xz"; n=$(stat -c %s "$out/initramfs.cpio.xz");
	  head -c $(( (4 - n % 4) % 4 )) /dev/zero; cat "$out/toolbox.cpio"; } > "$initrd.tmp"
	mv "$initrd.tmp" "$initrd"
fi
cat <<MSG
Booting Lifeboat in QEMU (${RUN_ACCEL:-tcg}). The console is this terminal:
quit QEMU with Ctrl-A then X. From another terminal, log in with:

    ssh -i $key -p $port -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null root@127.0.0.1

MSG
exec qemu-system-x86_64 -accel "${RUN_ACCEL:-tcg}" -cpu max -m "${RUN_MEM:-256}" \
	-nographic -no-reboot -device virtio-rng-pci \
	-kernel "$out/bzImage" -initrd "$initrd" \
	-append "console=ttyS0,115200n8 random.trust_cpu=on lifeboat.sshkey=\"$pub\" ${RUN_APPEND:-}" \
	-netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$port-:22" -device virtio-net-pci,netdev=n0
