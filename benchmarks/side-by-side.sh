#!/usr/bin/env bash
# The side-by-side table of issue 10 in one command (benchmarks/README.md, section 4):
#   benchmarks/side-by-side.sh            default vector width (dcn4j: the JVM's preferred species; PyTorch: oneDNN's best ISA)
#   benchmarks/side-by-side.sh --avx2     dcn4j with -XX:UseAVX=2, PyTorch with DNNL_MAX_CPU_ISA=AVX2
#   benchmarks/side-by-side.sh --both     both, one after the other
#   benchmarks/side-by-side.sh --128      dcn4j with -XX:MaxVectorSize=16 (NEON's width), PyTorch with DNNL_MAX_CPU_ISA=SSE41;
#                                         ONNX Runtime keeps its own ISA (MLAS has no such switch): the AVX2-only hosts' second width
# Options after the mode go to both halves' repetition settings: REPS=5 TV_REPS=2 THREADS=2 SHAPES="1,64,56,56,64;..."
# CALLS=warm (default: each timed call right after an untimed one of its own library) or CALLS=cold (after the idle
# pause alone, the protocol until the twelfth pass of issue 10; benchmarks/README.md, section 4)
# (environment variables). Prints a markdown table per width: dcn4j and ONNX Runtime from SideBySide (one JVM),
# PyTorch's dense conv2d from a child of it (side_by_side_torch.py --serve) timed between dcn4j's repetitions,
# torchvision from side_by_side_torch.py run before it (/usr/bin/python3 with python3-torchvision).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/.ci/jdk.sh"
pick_jdk
mode="${1:-default}"
REPS="${REPS:-5}"; TV_REPS="${TV_REPS:-2}"; THREADS="${THREADS:-2}"; CALLS="${CALLS:-warm}"
SHAPES="${SHAPES:-1,64,56,56,64;8,64,28,28,64;1,256,28,28,256;2,512,14,14,512;1,128,100,168,128;1,256,50,84,256;1,512,25,42,512}"
py="${PYTHON:-/usr/bin/python3}"

cd "$root"
if [ ! -f benchmarks/target/classes/dcn4j/benchmarks/SideBySide.class ] || [ -n "$(find benchmarks vector-backend reference -name '*.java' -newer benchmarks/target/classes/dcn4j/benchmarks/SideBySide.class | head -1)" ]; then
  echo "side-by-side: building the benchmarks module..." >&2
  mvn -q -B -ntp -o package -DskipTests -pl benchmarks -am >&2 || mvn -q -B -ntp package -DskipTests -pl benchmarks -am >&2
fi

run_width() {
  local label="$1" jvm_opts="$2" dnnl="$3"
  local torch_out
  torch_out="$(mktemp)"
  # torchvision first, in its own process (seconds per call; not a goal column). Dense conv2d is timed by a
  # child of SideBySide (side_by_side_torch.py --serve), one call between each of dcn4j's repetitions.
  echo "side-by-side: $label: torchvision (uptime: $(uptime | sed 's/.*load/load/'))" >&2
  env ${dnnl:+DNNL_MAX_CPU_ISA="$dnnl"} "$py" benchmarks/side_by_side_torch.py --no-dense --threads "$THREADS" \
      --reps "$REPS" --tv-reps "$TV_REPS" --shapes "$SHAPES" > "$torch_out"
  echo "side-by-side: $label: dcn4j, ONNX Runtime and dense conv2d, interleaved" >&2
  # shellcheck disable=SC2086
  env ${dnnl:+DNNL_MAX_CPU_ISA="$dnnl"} java $jvm_opts --add-modules jdk.incubator.vector \
      -cp "benchmarks/target/classes:benchmarks/target/lib/*" \
      dcn4j.benchmarks.SideBySide --torch "$torch_out" --reps "$REPS" --threads "$THREADS" --shapes "$SHAPES" --calls "$CALLS" \
      --dense-server "$py benchmarks/side_by_side_torch.py --serve --threads $THREADS" \
      --label "$label, $(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')" 2> >(grep -v '^WARNING' >&2)
  rm -f "$torch_out"
}

case "$mode" in
  default) run_width "default width" "" "" ;;
  --avx2) run_width "AVX2 (dcn4j -XX:UseAVX=2, PyTorch DNNL_MAX_CPU_ISA=AVX2)" "-XX:UseAVX=2" "AVX2" ;;
  --both)
    run_width "default width" "" ""
    run_width "AVX2 (dcn4j -XX:UseAVX=2, PyTorch DNNL_MAX_CPU_ISA=AVX2)" "-XX:UseAVX=2" "AVX2" ;;
  --128) run_width "128 bits (dcn4j -XX:MaxVectorSize=16, PyTorch DNNL_MAX_CPU_ISA=SSE41; ONNX Runtime at its own ISA)" \
      "-XX:MaxVectorSize=16" "SSE41" ;;
  *) echo "usage: benchmarks/side-by-side.sh [--avx2|--both|--128]" >&2; exit 2 ;;
esac
