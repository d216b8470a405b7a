#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 200
# A SigMF capture onto a disk that fills up: iio-ffs-capture says which
# file is incomplete and how many samples it holds, exits 8, and leaves a
# readable recording: the metadata written before the first sample, the
# data cut back to whole samples. Every failed output is reported, the
# metadata's too, not only the first error.
. /lib/rig.sh
. /lib/bridge.sh

bridge_conf zero-copy block_size=64K block_count=4 >/tmp/ifb.conf
bridge_start /tmp/ifb.conf
mkdir -p /mnt/small
mount -t tmpfs -o size=2m tmpfs /mnt/small || rig_fail "cannot mount a 2 MiB tmpfs"
iio-ffs-capture --sigmf /mnt/small/rec --bytes 16M --quiet >/tmp/cap.out 2>&1
rc=$?
cat /tmp/cap.out
[ $rc = 8 ] || bridge_fail "exit $rc on a full disk (want 8, output error)"
grep -qF "writing /mnt/small/rec.sigmf-data failed: No space left on device" /tmp/cap.out ||
	bridge_fail "the data file's write error is not reported"
n=$(sed -n 's/.*rec\.sigmf-data is incomplete: it holds the first \([0-9]*\) samples.*/\1/p' /tmp/cap.out)
[ -n "$n" ] || bridge_fail "no message saying the data file is incomplete and what it holds"
size=$(wc -c </mnt/small/rec.sigmf-data)
[ "$size" = $((n * 4)) ] || bridge_fail "data file has $size bytes, the message says $n 4-byte samples"
[ "$n" -gt 0 ] || bridge_fail "no sample made it to the disk"
[ -s /mnt/small/rec.sigmf-meta ] || bridge_fail "no rec.sigmf-meta: the recording is unreadable"
grep -q '"core:datatype"' /mnt/small/rec.sigmf-meta && grep -q 'ru16_le' /mnt/small/rec.sigmf-meta ||
	bridge_fail "rec.sigmf-meta lacks the datatype: $(cat /mnt/small/rec.sigmf-meta)"
tail -c 3 /mnt/small/rec.sigmf-meta | grep -q '}' || bridge_fail "rec.sigmf-meta is cut short"
# the final rewrite either went through or says why the start's is kept
if ! grep -q '"core:sample_start"' /mnt/small/rec.sigmf-meta; then
	bridge_fail "rec.sigmf-meta has no capture segment"
fi
if grep -q "rec.sigmf-meta failed" /tmp/cap.out; then
	grep -qF "the one written at the start is kept" /tmp/cap.out ||
		bridge_fail "the metadata's failure does not say what is kept"
fi
[ ! -e /mnt/small/rec.sigmf-meta.tmp ] || bridge_fail "a temporary metadata file was left behind"
umount /mnt/small
bridge_stop
echo "capture-disk-full: $n samples kept and described, every failure reported"
