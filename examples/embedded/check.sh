#!/usr/bin/env bash
# Builds the firmware for Cortex-M4 and Cortex-M0 (release: opt-level "s", LTO), twice: the
# HMAC-only firmware, and with the `eddsa` feature (EdDSA tokens verified with a JWK public
# key). Runs each under QEMU (the exit status is the firmware's: 0 only when every check
# passed), and measures what BENCHMARKS.md reports: flash, static RAM, and the peak stack of a
# verify. The stack is painted with 0xCCCCCCCC at reset by cortex-m-rt; gdb notes the stack
# pointer on entry to the verify (`auth_core::jwt::verify_in`; in the EdDSA build
# `embedded_demo::eddsa::verify_valid`, so the JWK is read inside the measured part too),
# stops at `verify_done` / `verify_kid_done` (right after each of the two verifies returned)
# and reads how deep the paint was scrubbed off. Two figures each: the verify's own stack
# (below its entry) and the program's total (reset handler, main and the caller's key and
# buffers too).
# Fails if a budget is exceeded: HMAC-only, flash under 24 KiB on Cortex-M0 and the verify's
# own stack under 2 KiB on both; EdDSA, flash at most 48 KiB on Cortex-M0 and stack under
# 9.5 KiB. (The issue asked for 7 KiB: ed25519-dalek's verify alone takes 7.6 KiB on the M0
# whatever its optimization level or tables; ed25519-compact with its `opt_size` feature takes
# 6.1 KiB alone, about 7.3 KiB with the token path, and verifies 1.7x slower on a server:
# BENCHMARKS.md, "Constrained targets", and the auth-core README.)
#
# Needs: qemu-system-arm, gdb-multiarch, binutils (readelf, nm), python3, and the targets
# thumbv7em-none-eabihf and thumbv6m-none-eabi. Usage: examples/embedded/check.sh
set -euo pipefail
cd "$(dirname "$0")"

status=0

# The QEMU machine for each target.
declare -A QEMU=(
  [thumbv7em-none-eabihf]="-cpu cortex-m4 -machine mps2-an386"
  [thumbv6m-none-eabi]="-cpu cortex-m0 -machine microbit"
)

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Sum of the sizes of the named sections.
section_bytes() {
  local elf=$1
  shift
  readelf -S -W "$elf" | python3 -c '
import sys
want = set(sys.argv[1:])
total = 0
for line in sys.stdin:
    parts = line.replace("[ ", "[").split()
    if len(parts) > 5 and parts[1] in want:
        total += int(parts[5], 16)
print(total)' "$@"
}

symbol() { nm "$1" | awk -v name="$2" '$3 == name { print "0x" $1 }'; }

# The firmware has no allocator: nothing in its graph may pull in serde or serde_json (with
# `alloc` they would need one, and the link would fail; without, they are dead weight).
if cargo tree --quiet -e normal --target thumbv6m-none-eabi --prefix none | grep -E '^serde'; then
  echo "FAIL: the firmware's dependency graph contains serde"
  status=1
fi

for variant in hmac eddsa; do
if [ "$variant" = hmac ]; then
  features=()
  FLASH_BUDGET_M0=$((24 * 1024)) # flash must stay under it
  STACK_BUDGET=$((2 * 1024))     # the verify's stack must stay under it
  entry_symbol='^auth_core::jwt::verify_in'
  entry_label="verify_in's entry"
else
  features=(--features eddsa)
  FLASH_BUDGET_M0=$((48 * 1024 + 1))
  STACK_BUDGET=$((9 * 1024 + 512))
  entry_symbol='^embedded_demo::eddsa::verify_valid'
  entry_label="the entry of eddsa::verify_valid (JWK read, key, payload buffer and verify_in)"
fi
for target in thumbv7em-none-eabihf thumbv6m-none-eabi; do
  echo "== $variant firmware, $target (QEMU: ${QEMU[$target]})"
  cargo build --release --target "$target" --quiet "${features[@]}"
  elf=target/$target/release/embedded-demo

  # 1. Run: the firmware prints its checks and exits with their verdict.
  # shellcheck disable=SC2086
  if ! timeout 60 qemu-system-arm ${QEMU[$target]} -nographic \
      -semihosting-config enable=on,target=native -kernel "$elf"; then
    echo "FAIL: the firmware reported a failed check on $target"
    status=1
  fi

  # 2. Sizes. Flash holds the code, constants and the initial values of .data.
  flash=$(section_bytes "$elf" .vector_table .text .rodata .data)
  ram=$(section_bytes "$elf" .data .bss .uninit)
  echo "flash: $flash bytes ($(python3 -c "print(f'{$flash/1024:.1f}')") KiB) = .vector_table + .text + .rodata + .data; static RAM: $ram bytes (.data + .bss); heap: none"

  # 3. Peak stack of each verify, from the painted stack: the first token has a common
  # header (read by a fast path), the second a `kid` (decoded and parsed in full).
  port=$(free_port)
  # shellcheck disable=SC2086
  qemu-system-arm ${QEMU[$target]} -nographic -semihosting-config enable=on,target=native \
    -kernel "$elf" -S -gdb "tcp:127.0.0.1:$port" >/dev/null 2>&1 &
  qemu=$!
  work=$(mktemp -d)
  low=$(symbol "$elf" _stack_end)
  high=$(symbol "$elf" _stack_start)
  # Only the top 64 KiB: the M4 board has 4 MiB of RAM, and the stack is far smaller.
  low=$(python3 -c "print(hex(max($low, $high - 65536)))")
  # The entry address, without the Thumb bit: the stack pointer there is the caller's.
  entry=$(nm -C "$elf" | awk -v re="$entry_symbol" '$3 ~ re && !seen { print "0x" $1; seen = 1 }')
  entry=$(python3 -c "print(hex($entry & ~1))")
  timeout 60 gdb-multiarch -q -batch -nx \
    -ex "target remote 127.0.0.1:$port" \
    -ex "break *$entry" \
    -ex "break embedded_demo::verify_done" \
    -ex "break embedded_demo::verify_kid_done" \
    -ex "continue" -ex "printf \"SP %u\\n\", \$sp" \
    -ex "continue" -ex "dump binary memory $work/1 $low $high" \
    -ex "continue" -ex "printf \"SP %u\\n\", \$sp" \
    -ex "continue" -ex "dump binary memory $work/2 $low $high" \
    -ex "kill" "$elf" >"$work/gdb.out" 2>&1 || true
  kill "$qemu" 2>/dev/null || true
  wait "$qemu" 2>/dev/null || true
  # For each stop: the deepest scrubbed word, against the stack pointer on entry to that
  # verify (the second figure is an upper bound if the first verify went deeper).
  results=$(python3 -c '
import re, struct, sys
work, low, high = sys.argv[1], int(sys.argv[2], 0), int(sys.argv[3], 0)
sps = [int(x) for x in re.findall(r"^SP (\d+)$", open(work + "/gdb.out").read(), re.M)]
for i, sp in zip((1, 2), sps):
    try:
        data = open("%s/%d" % (work, i), "rb").read()
    except OSError:
        continue
    words = struct.unpack("<%dI" % (len(data) // 4), data)
    untouched = next((k for k, w in enumerate(words) if w != 0xCCCCCCCC), len(words))
    deepest = low + 4 * untouched
    print(sp - deepest, high - deepest)' "$work" "$low" "$high")
  rm -rf "$work"
  if [ "$(echo "$results" | grep -c .)" -ne 2 ]; then
    echo "FAIL: could not read the painted stack on $target"
    status=1
  else
    n=0
    while read -r own total; do
      n=$((n + 1))
      what=$([ $n = 1 ] && echo "common header" || echo "header with kid")
      echo "verify stack ($what): $own bytes below $entry_label; program peak then: $total bytes (reset handler, main, the caller's key and 256-byte payload buffer included)"
      if [ "$own" -ge "$STACK_BUDGET" ]; then
        echo "FAIL: the verify's stack ($what), $own bytes, is not under $STACK_BUDGET"
        status=1
      fi
    done <<<"$results"
  fi
  if [ "$target" = thumbv6m-none-eabi ] && [ "$flash" -ge "$FLASH_BUDGET_M0" ]; then
    echo "FAIL: Cortex-M0 flash $flash bytes is not under $FLASH_BUDGET_M0"
    status=1
  fi
done
done
exit $status
