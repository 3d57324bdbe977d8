#!/bin/sh
# Starts a gateway process (dist/gateway/main.js, built by `npm run build`) with the memory settings
# it is deployed and benchmarked with (docs/architecture.md, "Memory of a gateway process"):
# - a V8 heap of at most GATEWAY_HEAP_MB (default 192) MB: without a cap V8 sizes its old space from
#   the machine's memory and leaves garbage uncollected, so a process on a large host holds several
#   times what it uses. Raise it for bodies near BODY_LIMIT_MB in numbers at once.
# - glibc's mmap threshold fixed at 128 KiB (MALLOC_MMAP_THRESHOLD_, unless already set): large
#   buffers (scrypt's 16 MiB when a client secret is checked, big request bodies) go back to the system
#   when freed, instead of staying in the allocator's arenas. Other C libraries ignore it.
# GATEWAY_NODE_ARGS adds Node options (e.g. --cpu-prof). Arguments are passed on to main.js.
set -e
: "${MALLOC_MMAP_THRESHOLD_:=131072}"
export MALLOC_MMAP_THRESHOLD_
# shellcheck disable=SC2086 # GATEWAY_NODE_ARGS is a list of options
exec node --max-old-space-size="${GATEWAY_HEAP_MB:-192}" ${GATEWAY_NODE_ARGS:-} "$(dirname "$0")/../dist/gateway/main.js" "$@"
