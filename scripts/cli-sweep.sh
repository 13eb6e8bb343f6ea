#!/usr/bin/env bash
# cli-sweep.sh: the bad-input sweep of issue 20, re-runnable.
#
# Builds rewardvision into a temp dir, makes bad and odd inputs there
# (from the files the repo ships: assets/, testdata/fixtures/, a tiny
# `data gen` split, and crafted files), runs every command on them under
# `timeout` and a memory limit, and classifies each run:
#
#   success   exit 0
#   clear     exit 1 with one `rewardvision: ...` line naming the input
#   usage     exit 2 with one `rewardvision: ...` line naming the input
#   unclear   no error line, or a line without the offending input, or a
#             Go-internal message ("invalid character ...") without context
#   wrongcode a bad flag value that exits 1 (want 2)
#   accepted  an input marked invalid that exits 0 (or a server that starts)
#   crash     a Go panic, "fatal error", a signal, an exit code not in {0,1,2}
#   hang      killed by the timeout
#   dataloss  an input changed, or a failed run left output behind
#
# Then it starts `serve` on a loopback port and sends bad HTTP requests:
# 4xx with a JSON error envelope is clear; 2xx is accepted; 5xx, a panic in
# the log, a dead server or a curl timeout is bad.
#
# Usage: scripts/cli-sweep.sh            (from anywhere in the repo)
#   SWEEP_ONLY=REGEX    run only the CLI cases whose name matches
#   SWEEP_SERVER=0      skip the HTTP part
#   SWEEP_SERVER=only   run only the HTTP part
#   SWEEP_SERVE_FLAGS="--max-batch-size 8"   more flags for that server
#   SWEEP_KEEP=1        keep the temp dir (its path is printed)
#   SWEEP_TIMEOUT=20    seconds per case
# Exit status: 0 when every case is success/clear/usage, 1 otherwise.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/rv-sweep.XXXXXX")
TIMEOUT=${SWEEP_TIMEOUT:-20}
ONLY=${SWEEP_ONLY:-}
SERVER_PID=
cleanup() {
	[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null
	chmod -R u+rwX "$T" 2>/dev/null
	if [ "${SWEEP_KEEP:-0}" = 1 ]; then echo "kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT

BIN=$T/rv
echo "building rewardvision at $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)$(git -C "$ROOT" diff --quiet 2>/dev/null || echo '+dirty') ..."
(cd "$ROOT" && go build -o "$BIN" ./cmd/rewardvision) || { echo "build failed"; exit 1; }
W=$T/w
IN=$W/in  # every input lives here; no case may change it
B=$IN/bad # crafted bad files
mkdir -p "$B" "$W/o"
cd "$W" || exit 1
if [ "$(id -u)" = 0 ]; then ROOTUSER=1; else ROOTUSER=0; fi

# ---------------------------------------------------------------- inputs
export ONNXRUNTIME_LIB=
[ -e "$ROOT/third_party/onnxruntime/libonnxruntime.so.1.24.1" ] && export ONNXRUNTIME_LIB=$ROOT/third_party/onnxruntime/libonnxruntime.so.1.24.1
cp -r "$ROOT/testdata/fixtures" "$IN/fx"
cp -r "$ROOT/assets/models" "$IN/models"
mkdir -p "$IN/ckpt"
for c in detection-mle captioning-mle colorization-vq; do cp -r "$ROOT/assets/checkpoints/$c" "$IN/ckpt/$c"; done
cp "$ROOT"/serve/testdata/images/* "$IN/"
FX=$IN/fx
COCO=$FX/coco-det/small
CAP=$FX/captions/small
PAN=$FX/panoptic/small
COL=$FX/colorfulness
IMG=$IN/shapes-det.png
JPG=$FX/coco-det/real2/images/000000439180.jpg
MODELS=$IN/models
SPLIT=$IN/split
echo "generating a tiny split ..."
"$BIN" data gen --out "$SPLIT/train" --n 8 --seed 1 --split train --preset detection >/dev/null 2>&1 &&
	"$BIN" data gen --out "$SPLIT/val" --n 4 --seed 2 --split val --preset detection >/dev/null 2>&1 || { echo "data gen failed"; exit 1; }
VAL=$SPLIT/val
# the repo-relative defaults (--repo assets/models, bench's images) resolve
# in the work dir as in a checkout
mkdir -p "$W/assets" "$W/serve/testdata"
ln -s "$MODELS" "$W/assets/models"
ln -s "$IN" "$W/serve/testdata/images"

# hex bytes -> file
hexw() { printf "$(echo "$1" | sed 's/../\\x&/g')"; }
u32() { printf '%08x' "$1"; }
crc() { gzip -c -n | tail -c 8 | head -c 4 | od -An -tx1 | awk '{print $4 $3 $2 $1}'; }
# chunk TYPE DATAFILE
chunk() {
	local len
	len=$(stat -c %s "$2")
	hexw "$(u32 "$len")"
	{ printf '%s' "$1"; cat "$2"; } >"$T/chunk.tmp"
	cat "$T/chunk.tmp"
	hexw "$({ cat "$T/chunk.tmp"; } | crc)"
}
pngsig() { hexw 89504e470d0a1a0a; }
# a PNG header claiming W×H pixels (gray 8-bit) with no pixel data
bomb_header() {
	hexw "$(u32 "$1")$(u32 "$2")0800000000" >"$T/ihdr"
	{ pngsig; chunk IHDR "$T/ihdr"; } >"$3"
}
# a real decompression bomb: W×H gray zeros, deflated
bomb_real() {
	local w=$1 h=$2 n
	n=$((h * (w + 1)))
	hexw "$(u32 "$w")$(u32 "$h")0800000000" >"$T/ihdr"
	{
		hexw 7801
		head -c "$n" /dev/zero | gzip -1 -n -c | tail -c +11 | head -c -8
		hexw "$(printf '%04x0001' $((n % 65521)))"
	} >"$T/idat"
	: >"$T/iend"
	{ pngsig; chunk IHDR "$T/ihdr"; chunk IDAT "$T/idat"; chunk IEND "$T/iend"; } >"$3"
}
echo "crafting bad files ..."
: >"$B/empty.json"
: >"$B/empty.png"
printf '   \n\t ' >"$B/ws.json"
printf '{"images": [' >"$B/trunc.json"
head -c 300 "$IMG" >"$B/trunc.png"
head -c 3000 "$JPG" >"$B/trunc.jpg"
bomb_header 100000 100000 "$B/bomb-header.png"
bomb_real 30000 30000 "$B/bomb.png"
head -c 65536 "$MODELS/detection-mle/1/encoder.onnx" >"$B/garbage.bin"
cp "$B/garbage.bin" "$B/garbage.png"
cp "$B/garbage.bin" "$B/garbage.json"
echo '[]' >"$B/list.json"
echo '{}' >"$B/obj.json"
echo '"text"' >"$B/str.json"
echo '42' >"$B/num.json"
echo 'null' >"$B/null.json"
echo 'true' >"$B/true.json"
head -c 200000 /dev/zero | tr '\0' '[' >"$B/nested.json"
for _ in $(seq 20000); do printf '{"a":'; done >"$B/nested-obj.json"
printf '{"images": [], "annotations": [], "categories": []} trailing' >"$B/trailing.json"
echo 'not json at all' >"$B/text.json"
echo 'not an image' >"$B/text.png"
cp "$IMG" "$B/png.json"
cp "$COCO/gt.json" "$B/json.png"
printf '\xef\xbb\xbf{"images": [], "annotations": [], "categories": []}' >"$B/bom.json"
echo '{"images": "x", "annotations": [], "categories": []}' >"$B/inst-images-str.json"
echo '{"images": [{"id": 1, "width": 64, "height": 64, "file_name": "a.png"}], "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": "abc", "area": 4, "iscrowd": 0}], "categories": [{"id": 1, "name": "x"}]}' >"$B/inst-bbox-str.json"
echo '{"images": [{"id": 1.5, "width": 64, "height": 64, "file_name": "a.png"}], "annotations": [], "categories": [{"id": 1, "name": "x"}]}' >"$B/inst-id-float.json"
echo '{"images": [{"id": 1, "width": 1e400, "height": 64, "file_name": "a.png"}], "annotations": [], "categories": [{"id": 1, "name": "x"}]}' >"$B/inst-huge-num.json"
echo '{"images": [{"id": 1, "width": -64, "height": 0, "file_name": "a.png"}], "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [1, 2, 3], "area": 4, "iscrowd": 0}], "categories": [{"id": 1, "name": "x"}]}' >"$B/inst-neg.json"
echo '{"images": [{"id": 1, "width": 64, "height": 64, "file_name": "a.png"}], "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4], "area": 4, "iscrowd": 0, "segmentation": {"size": [64, 64], "counts": "!!!garbage"}}], "categories": [{"id": 1, "name": "x"}]}' >"$B/inst-bad-rle.json"
echo '{"images": [{"id": 1, "width": 64, "height": 64, "file_name": "a.png"}], "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4], "area": 4, "iscrowd": 0, "segmentation": [[1, 2, 3]]}], "categories": [{"id": 1, "name": "x"}]}' >"$B/inst-bad-poly.json"
echo '[{"image_id": "x", "category_id": 1, "bbox": [1, 2, 3, 4], "score": 0.5}]' >"$B/dt-str-id.json"
echo '[1, 2, 3]' >"$B/dt-nums.json"
echo '[{}]' >"$B/dt-empty-obj.json"
echo '[{"image_id": 1, "category_id": 1, "bbox": [1, 2, 3], "score": 0.5}]' >"$B/dt-bbox3.json"
echo '[{"image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4], "score": 1e400}]' >"$B/dt-score-huge.json"
echo '[{"image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4], "score": "high"}]' >"$B/dt-score-str.json"
echo '[{"image_id": 99999999, "category_id": 1, "bbox": [1, 2, 3, 4], "score": 0.5}]' >"$B/dt-unknown-img.json"
echo '[{"image_id": 1, "caption": 42}]' >"$B/preds-num.json"
echo '[{"image_id": 1, "caption": null}]' >"$B/preds-null.json"
echo '[{"caption": "a cat"}]' >"$B/preds-noid.json"
echo '{"images": [{"id": 1}], "annotations": [{"image_id": 1, "caption": ["a", "b"]}]}' >"$B/refs-caption-list.json"
echo '{"images": [], "annotations": [], "categories": []}' >"$B/inst-empty.json"
echo '{"annotations": [{"image_id": 1, "file_name": "1.png", "segments_info": {"id": 1}}], "categories": []}' >"$B/pan-seg-obj.json"
printf '{"a":1}\n{"b":' >"$B/trunc.jsonl"
printf '%s\n' '{"step": 1, "loss": "high"}' '{"step": "x"}' >"$B/bad-log.jsonl"
printf '%s\n' '{"step": 1, "loss": 1e400}' >"$B/huge-log.jsonl"
mkdir -p "$B/dir" "$B/emptydir"
cp "$COL/camera.png" "$B/dir/camera.png"
ln -sf loop "$B/loop"
printf 'not gzip' >"$B/notgz.json.gz"
gzip -c "$COCO/gt.json" | head -c 500 >"$B/trunc.json.gz"
{ printf '['; head -c 3000000 /dev/zero | tr '\0' ' '; } | gzip -c >"$B/spaces.json.gz"
{ printf '{'; head -c 3000000 /dev/zero | tr '\0' ' '; } | gzip -c >"$B/spaces-obj.json.gz"
{ cat "$IMG"; head -c 2000000 /dev/zero; } >"$B/big.png"
if [ "$ROOTUSER" = 0 ]; then cp "$COCO/gt.json" "$B/unreadable.json"; chmod 000 "$B/unreadable.json"; fi
mkdir -p "$B/emptyrepo" "$B/brokenrepo/detection-mle/1"
cp "$MODELS/detection-mle/1/"* "$B/brokenrepo/detection-mle/1/"
echo '{"task": ' >"$B/brokenrepo/detection-mle/1/model.json"
mkdir -p "$B/nograph/detection-mle/1"
cp "$MODELS/detection-mle/1/model.json" "$B/nograph/detection-mle/1/"
mkdir -p "$B/ckpt-nometa" "$B/ckpt-badmeta"
cp "$IN/ckpt/detection-mle/"checkpoint-* "$B/ckpt-nometa/"
cp "$IN/ckpt/detection-mle/"checkpoint-* "$B/ckpt-badmeta/"
echo '{"task": "detection", "arch": 7' >"$B/ckpt-badmeta/meta.json"
mkdir -p "$B/ckpt-truncw"
cp "$IN/ckpt/detection-mle/meta.json" "$B/ckpt-truncw/"
for f in "$IN/ckpt/detection-mle/"checkpoint-*; do head -c 1000 "$f" >"$B/ckpt-truncw/$(basename "$f")"; done

# bad splits: copies of val with one thing broken each
mksplit() { rm -rf "$IN/splits/$1"; mkdir -p "$IN/splits"; cp -r "$VAL" "$IN/splits/$1"; echo "$IN/splits/$1"; }
S=$(mksplit trunc-img); head -c 200 "$S/images/$(ls "$S/images" | head -1)" >"$T/x" && cp "$T/x" "$S/images/$(ls "$S/images" | head -1)"
S=$(mksplit missing-img); rm "$S/images/$(ls "$S/images" | head -1)"
S=$(mksplit bomb-img); cp "$B/bomb-header.png" "$S/images/$(ls "$S/images" | head -1)"
S=$(mksplit garbage-inst); cp "$B/garbage.bin" "$S/instances.json"
S=$(mksplit empty-inst); : >"$S/instances.json"
S=$(mksplit kind-inst); cp "$S/captions.json" "$S/instances.json"
S=$(mksplit nested-inst); cp "$B/nested.json" "$S/instances.json"
S=$(mksplit no-inst); rm "$S/instances.json"
S=$(mksplit dangling); jq '.annotations[0].image_id = 777' "$S/instances.json" >"$T/x" && cp "$T/x" "$S/instances.json"
S=$(mksplit bad-size); jq '.images[0].width = 65' "$S/instances.json" >"$T/x" && cp "$T/x" "$S/instances.json"
S=$(mksplit dup-img); jq '.images += [.images[0]]' "$S/instances.json" >"$T/x" && cp "$T/x" "$S/instances.json"
S=$(mksplit neg-bbox); jq '.annotations[0].bbox[2] = -5' "$S/instances.json" >"$T/x" && cp "$T/x" "$S/instances.json"
S=$(mksplit bad-cat); jq '.annotations[0].category_id = 999' "$S/instances.json" >"$T/x" && cp "$T/x" "$S/instances.json"
S=$(mksplit pan-swap); a=$(ls "$S/panoptic" | sed -n 1p); b=$(ls "$S/panoptic" | sed -n 2p); mv "$S/panoptic/$a" "$T/x"; mv "$S/panoptic/$b" "$S/panoptic/$a"; mv "$T/x" "$S/panoptic/$b"
S=$(mksplit pan-trunc); a=$(ls "$S/panoptic" | sed -n 1p); head -c 100 "$S/panoptic/$a" >"$T/x"; cp "$T/x" "$S/panoptic/$a"
S=$(mksplit cap-garbage); cp "$B/garbage.bin" "$S/captions.json"
S=$(mksplit cap-kind); cp "$S/instances.json" "$S/captions.json"
S=$(mksplit img-is-dir); a=$(ls "$S/images" | head -1); rm "$S/images/$a"; mkdir "$S/images/$a"
S=$(mksplit gray-missing); rm -rf "$S/gray"
SP=$IN/splits
mkdir -p "$IN/badroot/train" "$IN/badroot/val"
cp -r "$SP/garbage-inst/." "$IN/badroot/train/"; cp -r "$VAL/." "$IN/badroot/val/"
mkdir -p "$IN/trunc-root"; cp -r "$SP/trunc-img" "$IN/trunc-root/train"; cp -r "$VAL" "$IN/trunc-root/val"
echo "not a folder" >"$IN/file"
mkdir -p "$IN/otherref" && cp "$COL/coffee.png" "$IN/otherref/camera.png"
mkdir -p "$IN/pan-trunc" "$IN/pan-bomb" "$IN/pan-garbage"
for d in pan-trunc pan-bomb pan-garbage; do cp "$PAN/pred/"* "$IN/$d/"; done
first=$(ls "$PAN/pred" | head -1)
cp "$B/trunc.png" "$IN/pan-trunc/$first"; cp "$B/bomb-header.png" "$IN/pan-bomb/$first"; cp "$B/garbage.bin" "$IN/pan-garbage/$first"
echo '{"noise": "loud"}' >"$B/cfg-type.json"
echo '{"nosuchknob": 1}' >"$B/cfg-unknown.json"
echo '{"min_objects": 9, "max_objects": 1}' >"$B/cfg-range.json"
cp "$IN/ckpt/detection-mle/log.jsonl" "$IN/log.jsonl"

# --------------------------------------------------------------- the CLI
RES=$T/results.tsv
: >"$RES"
N=0
O=$W/o/0
mkdir -p "$O"
# a folder's state: every path, and each file's size, time and mode (not the
# folders' times: a temp file made and removed beside an output is fine)
listing() { find . \( -type d -printf '%p/\n' \) -o -printf '%p %s %T@ %m\n' 2>/dev/null | sort; }
snap() { [ -e "$1" ] && (cd "$1" && listing | md5sum) || echo absent; }
inlist() { (cd "$IN" && listing); }
INSNAP=$(snap "$IN")
inlist >"$T/in.list"
cp -a "$IN" "$T/pristine" # to put the inputs back after a case changed them
GOINTERNAL='invalid character|unexpected EOF|cannot unmarshal|strconv\.|runtime error|nil pointer|index out of range|illegal base64|: EOF *$'

# c NAME [-e VAR=VAL]... [-w WANT] [-2|-1] [-x] [-t SECS] -- ARGS...
#   -w  text the error line must hold (the offending input; "" for none);
#       default: the base name of the first argument under $B or $IN/splits
#   -2  a bad flag value or usage: exit 1 is "wrongcode", exit 0 "accepted"
#   -x  the input is invalid: exit 0 (or a server still running) is "accepted"
#   -k  a failed run may leave its --out (eval run keeps its outputs to resume)
#   $O  a fresh empty folder for the case's outputs: after a failed run it
#       must be as it was before (files put there before c are the case's)
c() {
	[ "${SWEEP_SERVER:-1}" = only ] && return
	local name=$1 want=__auto__ code= invalid=0 keep=0 tmo=$TIMEOUT
	local -a envs=()
	shift
	while [ $# -gt 0 ]; do
		case $1 in
		-e) envs+=("$2"); shift 2 ;;
		-w) want=$2; shift 2 ;;
		-2) code=2; shift ;;
		-1) code=1; shift ;;
		-x) invalid=1; shift ;;
		-k) keep=1; shift ;;
		-t) tmo=$2; shift 2 ;;
		--) shift; break ;;
		*) echo "bad case spec: $1"; exit 1 ;;
		esac
	done
	[ "$code" = 2 ] && invalid=1 # a bad flag value that exits 0 was accepted
	if [ -n "$ONLY" ] && ! [[ $name =~ $ONLY ]]; then newO; return; fi
	if [ "$want" = __auto__ ]; then
		want=
		local a
		for a in "$@"; do
			case $a in "$B"/* | "$SP"/*) want=$(basename "$a"); break ;; esac
		done
	fi
	local osnap rc out err cls msg
	osnap=$(snap "$O")
	out=$T/out.$N err=$T/err.$N
	(
		ulimit -v 4000000
		exec env "${envs[@]}" timeout -k 5 "$tmo" "$BIN" "$@"
	) >"$out" 2>"$err" </dev/null
	rc=$?
	msg=$(grep -a '^rewardvision:' "$err" | head -3 | tr '\n' ' ' | cut -c1-300)
	local nmsg
	nmsg=$(grep -ac '^rewardvision:' "$err")
	[ -z "$msg" ] && msg=$(grep -av '^{' "$err" | tail -1 | cut -c1-300)
	if grep -aqE '^panic:|^fatal error:|goroutine [0-9]+ \[' "$err"; then
		cls=crash
	elif [ $rc = 124 ] || [ $rc = 137 ] && [ "$1" = serve ]; then
		# the server started and served until the timeout
		if [ "$invalid" = 1 ]; then cls=accepted; else cls=success; fi
	elif [ $rc = 124 ] || [ $rc = 137 ]; then
		cls=hang
	elif [ $rc -gt 2 ]; then
		cls=crash
	elif [ "$(snap "$IN")" != "$INSNAP" ]; then
		cls=dataloss
		msg="an input changed ($(inlist | diff "$T/in.list" - | grep '^[<>]' | head -2 | cut -d' ' -f1-2 | tr '\n' ' ')): $msg"
		rm -rf "$IN" && cp -a "$T/pristine" "$IN"
	elif [ $rc != 0 ] && [ "$keep" = 0 ] && [ "$(snap "$O")" != "$osnap" ]; then
		cls=dataloss
		msg="left output after failing: $(cd "$O" && find . -mindepth 1 | head -3 | tr '\n' ' ') $msg"
	elif [ $rc = 0 ]; then
		if [ "$invalid" = 1 ]; then cls=accepted; else cls=success; fi
	elif [ "$nmsg" = 0 ]; then
		cls=unclear
	elif [ -n "$want" ] && ! names "$want" "$err"; then
		cls=unclear
		msg="(lacks \"$want\") $msg"
	elif [ -z "$want" ] && echo "$msg" | grep -qE "$GOINTERNAL"; then
		cls=unclear
	elif [ "$code" = 2 ] && [ $rc = 1 ]; then
		cls=wrongcode
	elif [ $rc = 2 ]; then
		cls=usage
	else
		cls=clear
	fi
	N=$((N + 1))
	printf '%s\t%s\t%s\t%s\t%s\n' "$N" "$cls" "$rc" "$name" "$msg" >>"$RES"
	case $cls in success | clear | usage) ;; *) printf '  %-9s rc=%-3s %s: %s\n' "$cls" "$rc" "$name" "$msg" ;; esac
	newO
}
# names WANT FILE: an error line of FILE holds one of WANT's |-separated
# alternatives (a flag name may also be written weight decay or weight_decay)
names() {
	local alt
	local -a alts
	IFS='|' read -r -a alts <<<"$1"
	for alt in "${alts[@]}"; do
		grep -a '^rewardvision:' "$2" | grep -qaF -e "$alt" -e "${alt//-/ }" -e "${alt//-/_}" && return 0
	done
	return 1
}
newO() { O=$W/o/$((N + 1))x$RANDOM; mkdir -p "$O"; }
newO

echo "running the CLI cases ..."
# flagname "--flag value": the flag's name, and the value when it is a word
flagname() {
	local f=${1%% *} v=${1#* }
	if [[ $v =~ [a-z] ]]; then echo "${f#--}|$v"; else echo "${f#--}"; fi
}

# ---- top level, help
c "no arguments" -2 --
c "--help" -- --help
c "-h" -- -h
c "help" -- help
c "help help" -- help help
c "help nope" -2 -w nope -- help nope
c "unknown subcommand" -2 -w frobnicate -- frobnicate
c "unknown subcommand, flag first" -2 -w frobnicate -- --log-level debug frobnicate
for cmd in bench data eval export predict serve train version; do c "help $cmd" -- help "$cmd"; c "$cmd --help" -- "$cmd" --help; done
for sub in "bench serve" "data check" "data gen" "data stats" "eval captions" "eval coco" "eval colorfulness" "eval merge" "eval panoptic" "eval run" "train mle" "train plot" "train reward" "train ship" "train validate" "train vq"; do
	# shellcheck disable=SC2086
	c "help $sub" -- help $sub
	# shellcheck disable=SC2086
	c "$sub -h at the end" -- $sub -h
done
c "help train nope" -2 -w nope -- help train nope
c "help eval coco extra" -2 -- help eval coco extra
c "eval nope" -2 -w nope -- eval nope
c "data: no subcommand" -2 -- data
c "train: no subcommand" -2 -- train
c "bench: no subcommand" -2 -- bench
c "-- before the command" -- -- version --help
c "version: stray argument" -2 -x -w extra -- version extra
c "version --json=maybe" -2 -w maybe -- version --json=maybe
c "version --json twice" -- version --json --json

# ---- global flags and their variables
c "--log-format xml" -2 -w xml -- --log-format xml version
c "--log-format at the end, no value" -2 -w log-format -- version --log-format
c "--log-level loud, after the command" -2 -w loud -- version --log-level loud
c "RV_LOG_FORMAT=xml" -2 -w RV_LOG_FORMAT -e RV_LOG_FORMAT=xml -- version
c "RV_LOG_LEVEL=loud" -2 -w RV_LOG_LEVEL -e RV_LOG_LEVEL=loud -- version
c "RV_LOG_LEVEL empty" -e RV_LOG_LEVEL= -- version
c "--log-format json --log-level debug" -- --log-format json --log-level debug version
c "--log-level=DEBUG (case)" -- version --log-level=DEBUG

# ---- version, ONNX Runtime, device
c "version" -- version
c "version --json" -- version --json
c "version --ort-lib missing" -w /no/such.so -- version --ort-lib /no/such.so
c "version --ort-lib garbage" -w garbage.bin -- version --ort-lib "$B/garbage.bin"
c "version --ort-lib empty file" -w empty.json -- version --ort-lib "$B/empty.json"
c "version --ort-lib directory" -w "$B/dir" -- version --ort-lib "$B/dir"
c "ONNXRUNTIME_LIB=garbage" -w ONNXRUNTIME_LIB -e ONNXRUNTIME_LIB="$B/garbage.bin" -- version
c "version --device tpu" -2 -w tpu -- version --device tpu
c "version --device cuda:x" -2 -w cuda:x -- version --device cuda:x
c "version --device cuda:-1" -2 -w cuda:-1 -- version --device cuda:-1
c "version --device empty" -2 -w device -- version --device ""
c "version --device cuda" -w cuda -- version --device cuda
c "version --device auto" -- version --device auto
c "RV_DEVICE=banana" -2 -w RV_DEVICE -e RV_DEVICE=banana -- version

# ---- data gen
c "data gen: no flags" -2 -w out -- data gen
c "data gen: no --n" -2 -w n -x -- data gen --out "$O/s"
c "data gen: --n 0" -2 -w n -- data gen --out "$O/s" --n 0
c "data gen: --n -1" -2 -w n -- data gen --out "$O/s" --n -1
c "data gen: --n abc" -2 -w abc -- data gen --out "$O/s" --n abc
c "data gen: --size 0" -2 -w size -- data gen --out "$O/s" --n 1 --size 0
c "data gen: --size 7" -2 -w size -- data gen --out "$O/s" --n 1 --size 7
c "data gen: --size 100000" -2 -w size -- data gen --out "$O/s" --n 1 --size 100000
c "data gen: --size -64" -2 -w size -- data gen --out "$O/s" --n 1 --size -64
c "data gen: min-objects > max-objects" -2 -w objects -- data gen --out "$O/s" --n 1 --min-objects 5 --max-objects 2
c "data gen: --max-objects 0 (images without objects)" -- data gen --out "$O/s" --n 1 --max-objects 0 --min-objects 0
c "data gen: --max-objects 1000000" -2 -w "max-objects|1000000" -- data gen --out "$O/s" --n 1 --max-objects 1000000
c "data gen: min-size > max-size" -2 -w size -- data gen --out "$O/s" --n 1 --min-size 0.9 --max-size 0.1
c "data gen: --min-size -1" -2 -w "min-size|min object size" -- data gen --out "$O/s" --n 1 --min-size -1
c "data gen: --max-size 2" -2 -w "max-size|max object size" -- data gen --out "$O/s" --n 1 --max-size 2
c "data gen: --max-size NaN" -2 -w "max-size|max object size" -- data gen --out "$O/s" --n 1 --max-size NaN
c "data gen: --max-stuff 0" -2 -w "max-stuff" -- data gen --out "$O/s" --n 1 --max-stuff 0
c "data gen: --max-stuff 9" -2 -w "max-stuff" -- data gen --out "$O/s" --n 1 --max-stuff 9
c "data gen: --shapes banana" -2 -w banana -- data gen --out "$O/s" --n 1 --shapes banana
c "data gen: --shapes empty item" -2 -w shapes -- data gen --out "$O/s" --n 1 --shapes circle,,square
c "data gen: --colors banana" -2 -w banana -- data gen --out "$O/s" --n 1 --colors banana
c "data gen: --class-colors, a colour twice" -2 -w red -- data gen --out "$O/s" --n 1 --shapes circle,square --colors red,red --class-colors
c "data gen: --class-colors, too few colours" -2 -w "colors|colours" -- data gen --out "$O/s" --n 1 --shapes circle,square,star --colors red --class-colors
c "data gen: --stuff lava" -2 -w lava -- data gen --out "$O/s" --n 1 --stuff lava
c "data gen: --stuff with --max-stuff 3" -2 -w max-stuff -- data gen --out "$O/s" --n 1 --stuff sky --max-stuff 3
c "data gen: --preset nope" -2 -w nope -- data gen --out "$O/s" --n 1 --preset nope
c "data gen: --split nope" -2 -w nope -- data gen --out "$O/s" --n 1 --split nope
c "data gen: --config missing" -w nope.json -- data gen --out "$O/s" --n 1 --config "$B/nope.json"
c "data gen: --config empty" -- data gen --out "$O/s" --n 1 --config "$B/empty.json"
c "data gen: --config garbage" -- data gen --out "$O/s" --n 1 --config "$B/garbage.json"
c "data gen: --config list" -- data gen --out "$O/s" --n 1 --config "$B/list.json"
c "data gen: --config nested" -- data gen --out "$O/s" --n 1 --config "$B/nested.json"
c "data gen: --config directory" -w dir -- data gen --out "$O/s" --n 1 --config "$B/dir"
c "data gen: --config /dev/zero" -w /dev/zero -- data gen --out "$O/s" --n 1 --config /dev/zero
c "data gen: --config trailing data" -- data gen --out "$O/s" --n 1 --config "$B/trailing.json"
c "data gen: --config wrong type" -- data gen --out "$O/s" --n 1 --config "$B/cfg-type.json"
c "data gen: --config unknown key" -- data gen --out "$O/s" --n 1 --config "$B/cfg-unknown.json"
c "data gen: --config out of range" -w "cfg-range.json|objects = 9..1" -- data gen --out "$O/s" --n 1 --config "$B/cfg-range.json"
c "data gen: --noise -5" -2 -w noise -- data gen --out "$O/s" --n 1 --noise -5
c "data gen: --rotation 1e308" -2 -x -w rotation -- data gen --out "$O/s" --n 1 --rotation 1e308
c "data gen: --contrast NaN" -2 -w contrast -- data gen --out "$O/s" --n 1 --contrast NaN
c "data gen: --contrast 1000" -2 -w contrast -- data gen --out "$O/s" --n 1 --contrast 1000
c "data gen: --occlusion 2" -2 -w occlusion -- data gen --out "$O/s" --n 1 --occlusion 2
c "data gen: --crowd-prob 1.5" -2 -w crowd-prob -- data gen --out "$O/s" --n 1 --crowd-prob 1.5
c "data gen: --void-border -1" -2 -w void-border -- data gen --out "$O/s" --n 1 --void-border -1
c "data gen: --lighting Inf" -2 -w lighting -- data gen --out "$O/s" --n 1 --lighting Inf
c "data gen: --texture -1" -2 -w texture -- data gen --out "$O/s" --n 1 --texture -1
c "data gen: --color-jitter -1" -2 -w color-jitter -- data gen --out "$O/s" --n 1 --color-jitter -1
c "data gen: --min-visible -1" -2 -w min-visible -- data gen --out "$O/s" --n 1 --min-visible -1
c "data gen: --min-visible 100000" -- data gen --out "$O/s" --n 2 --min-visible 100000
c "data gen: --workers -1" -2 -w workers -- data gen --out "$O/s" --n 1 --workers -1
c "data gen: RV_WORKERS=abc" -2 -w RV_WORKERS -e RV_WORKERS=abc -- data gen --out "$O/s" --n 1
c "data gen: RV_WORKERS=100000000" -e RV_WORKERS=100000000 -- data gen --out "$O/s" --n 2
c "data gen: --out a file" -w "$IN/file" -- data gen --out "$IN/file" --n 1
c "data gen: --out a non-split folder" -w "$B/dir" -- data gen --out "$B/dir" --n 1
c "data gen: --out an existing split, no --force" -w "$VAL" -x -- data gen --out "$VAL" --n 1
c "data gen: --out /dev/null" -w /dev/null -- data gen --out /dev/null --n 1
c "data gen: --out under a file" -w "$IN/file" -- data gen --out "$IN/file/sub" --n 1
c "data gen: --out /proc (unwritable)" -w /proc -- data gen --out /proc/rv-sweep --n 1
c "data gen: --print-config" -- data gen --print-config --preset detection
c "data gen: --print-config with a bad flag" -2 -w "shapes|banana" -- data gen --print-config --shapes banana
c "data gen: stray argument" -2 -w stray -- data gen --out "$O/s" --n 1 stray
c "data gen: --json after a positional" -2 -- data gen stray --json
c "data gen: ok, flags at the end" -- data gen --n 1 --json --out "$O/s"
c "data gen: --seed -1" -- data gen --out "$O/s" --n 1 --seed -1
c "data gen: --n 1 --size 4096 (big image)" -t 60 -- data gen --out "$O/s" --n 1 --size 4096 --preset detection
mkdir -p "$O/prev" && echo keep >"$O/prev/note.txt"
c "data gen: --out a folder with a stray file" -w prev -- data gen --out "$O/prev" --n 1

# ---- data check
c "data check: no dir" -2 -- data check
c "data check: missing dir" -w nope -- data check "$IN/nope"
c "data check: a file" -w "$IN/file" -- data check "$IN/file"
c "data check: empty dir" -w emptydir -- data check "$B/emptydir"
c "data check: two dirs" -2 -- data check "$VAL" "$VAL"
c "data check: ok" -- data check "$VAL"
c "data check: ok --json at the end" -- data check "$VAL" --json
for s in trunc-img missing-img bomb-img garbage-inst empty-inst kind-inst nested-inst no-inst dangling bad-size dup-img neg-bbox bad-cat pan-swap pan-trunc cap-garbage cap-kind img-is-dir gray-missing; do
	c "data check: $s" -w "" -- data check "$SP/$s"
	c "data check: $s --skip-bad" -w "" -- data check "$SP/$s" --skip-bad
done
c "data check: --workers 0 (one per CPU)" -- data check "$VAL" --workers 0
c "data check: --workers -3" -2 -w workers -- data check "$VAL" --workers -3
c "data check: --workers 100000000" -- data check "$VAL" --workers 100000000
c "data check: RV_WORKERS=x" -2 -w RV_WORKERS -e RV_WORKERS=x -- data check "$VAL"
c "data check: --max-image-mb 0" -2 -w max-image-mb -- data check "$VAL" --max-image-mb 0
c "data check: --max-json-mb -1" -2 -w max-json-mb -- data check "$VAL" --max-json-mb -1
c "data check: RV_MAX_IMAGE_MB=x" -2 -w RV_MAX_IMAGE_MB -e RV_MAX_IMAGE_MB=x -- data check "$VAL"
c "data check: /dev/zero" -w /dev/zero -- data check /dev/zero

# ---- data stats
c "data stats: nothing" -2 -- data stats
c "data stats: missing dir" -w nope -- data stats "$IN/nope"
c "data stats: ok" -- data stats "$VAL"
c "data stats: ok --json" -- data stats --json "$VAL"
c "data stats: --instances missing" -w nope.json -- data stats --instances "$B/nope.json"
for f in garbage.json empty.json ws.json trunc.json list.json str.json null.json nested.json nested-obj.json trailing.json text.json png.json bom.json inst-images-str.json inst-bbox-str.json inst-id-float.json inst-huge-num.json inst-neg.json inst-bad-rle.json inst-bad-poly.json notgz.json.gz trunc.json.gz; do
	c "data stats: --instances $f" -- data stats --instances "$B/$f"
done
c "data stats: --instances a captions file" -w refs.json -- data stats --instances "$CAP/refs.json"
c "data stats: --captions an instances file" -w gt.json -- data stats --captions "$COCO/gt.json"
c "data stats: --panoptic an instances file" -w gt.json -- data stats --panoptic "$COCO/gt.json"
c "data stats: --captions garbage" -- data stats --captions "$B/garbage.json"
c "data stats: --panoptic pan-seg-obj" -- data stats --panoptic "$B/pan-seg-obj.json"
c "data stats: --instances a directory" -w dir -- data stats --instances "$B/dir"
c "data stats: --instances /dev/zero" -w /dev/zero -- data stats --instances /dev/zero
c "data stats: --instances symlink loop" -- data stats --instances "$B/loop"
c "data stats: gz of 3 MB spaces, --max-json-mb 1" -w "1 MB" -- data stats --instances "$B/spaces-obj.json.gz" --max-json-mb 1
[ "$ROOTUSER" = 0 ] && c "data stats: unreadable" -- data stats --instances "$B/unreadable.json"
c "data stats: kind-inst split" -w kind-inst -- data stats "$SP/kind-inst"
c "data stats: two dirs" -2 -- data stats "$VAL" "$VAL"

# ---- eval coco
G=$COCO/gt.json D=$COCO/dets.json
c "eval coco: no flags" -2 -- eval coco
c "eval coco: --gt only" -2 -w dt -- eval coco --gt "$G"
c "eval coco: ok" -- eval coco --gt "$G" --dt "$D"
c "eval coco: ok --json --timing at the end" -- eval coco --gt "$G" --dt "$D" --json --timing
c "eval coco: segm" -- eval coco --gt "$G" --dt "$COCO/dets_segm.json" --iou-type segm
c "eval coco: --gt missing" -w nope.json -- eval coco --gt "$B/nope.json" --dt "$D"
c "eval coco: --dt missing" -w nope.json -- eval coco --gt "$G" --dt "$B/nope.json"
for f in garbage.json empty.json ws.json trunc.json list.json obj.json str.json num.json null.json true.json nested.json nested-obj.json trailing.json text.json png.json bom.json inst-images-str.json inst-bbox-str.json inst-id-float.json inst-huge-num.json inst-neg.json inst-bad-rle.json inst-bad-poly.json inst-empty.json notgz.json.gz trunc.json.gz; do
	c "eval coco: --gt $f" -- eval coco --gt "$B/$f" --dt "$B/list.json"
done
for f in garbage.json empty.json obj.json nested.json dt-str-id.json dt-nums.json dt-empty-obj.json dt-bbox3.json dt-score-huge.json dt-score-str.json dt-unknown-img.json trunc.json.gz; do
	c "eval coco: --dt $f" -- eval coco --gt "$G" --dt "$B/$f"
done
c "eval coco: --dt []" -- eval coco --gt "$G" --dt "$B/list.json"
c "eval coco: --gt a directory" -w dir -- eval coco --gt "$B/dir" --dt "$D"
c "eval coco: --gt /dev/null" -w /dev/null -- eval coco --gt /dev/null --dt "$D"
c "eval coco: --dt /dev/zero" -w /dev/zero -- eval coco --gt "$G" --dt /dev/zero
[ "$ROOTUSER" = 0 ] && c "eval coco: unreadable" -- eval coco --gt "$B/unreadable.json" --dt "$D"
c "eval coco: --iou-type nope" -2 -w nope -- eval coco --gt "$G" --dt "$D" --iou-type nope
c "eval coco: --iou-type segm on bbox results" -w segm -- eval coco --gt "$G" --dt "$D" --iou-type segm
c "eval coco: --iou-type keypoints" -2 -w keypoints -- eval coco --gt "$G" --dt "$D" --iou-type keypoints
c "eval coco: --max-dets 1,2" -2 -w max-dets -- eval coco --gt "$G" --dt "$D" --max-dets 1,2
c "eval coco: --max-dets 10,1,100" -2 -w max-dets -- eval coco --gt "$G" --dt "$D" --max-dets 10,1,100
c "eval coco: --max-dets a,b,c" -2 -w max-dets -- eval coco --gt "$G" --dt "$D" --max-dets a,b,c
c "eval coco: --max-dets -1,10,100" -2 -w max-dets -- eval coco --gt "$G" --dt "$D" --max-dets -1,10,100
c "eval coco: --max-dets 0,0,0" -2 -w max-dets -- eval coco --gt "$G" --dt "$D" --max-dets 0,0,0
c "eval coco: --max-dets huge" -2 -x -w max-dets -- eval coco --gt "$G" --dt "$D" --max-dets 1,10,99999999999999999999
c "eval coco: --workers -1" -2 -w workers -- eval coco --gt "$G" --dt "$D" --workers -1
c "eval coco: --workers 100000000" -- eval coco --gt "$G" --dt "$D" --workers 100000000
c "eval coco: RV_WORKERS=x" -2 -w RV_WORKERS -e RV_WORKERS=x -- eval coco --gt "$G" --dt "$D"
c "eval coco: RV_EVAL_STRICT=maybe" -2 -w RV_EVAL_STRICT -e RV_EVAL_STRICT=maybe -- eval coco --gt "$G" --dt "$D"
c "eval coco: --strict" -- eval coco --gt "$G" --dt "$D" --strict
c "eval coco: --pycocotools-id0 --json" -- eval coco --gt "$G" --dt "$D" --pycocotools-id0 --json
c "eval coco: --gt twice" -- eval coco --gt "$B/garbage.json" --gt "$G" --dt "$D"
c "eval coco: positional arg" -2 -w extra -- eval coco --gt "$G" --dt "$D" extra
c "eval coco: real2 (jpg split)" -- eval coco --gt "$FX/coco-det/real2/gt.json" --dt "$FX/coco-det/real2/dets.json"
c "eval coco: dets against the other gt" -w "" -- eval coco --gt "$FX/coco-det/real2/gt.json" --dt "$D"
c "eval coco: --max-json-mb 1 on 3 MB gz" -w "1 MB" -- eval coco --gt "$B/spaces.json.gz" --dt "$D" --max-json-mb 1

# ---- eval captions
R=$CAP/refs.json P=$CAP/preds.json
c "eval captions: no flags" -2 -- eval captions
c "eval captions: ok" -- eval captions --refs "$R" --preds "$P"
c "eval captions: ok --json" -- eval captions --refs "$R" --preds "$P" --json
c "eval captions: --refs only" -2 -w preds -- eval captions --refs "$R"
c "eval captions: --refs missing" -w nope.json -- eval captions --refs "$B/nope.json" --preds "$P"
for f in garbage.json empty.json list.json obj.json nested.json trunc.json refs-caption-list.json inst-empty.json; do
	c "eval captions: --refs $f" -- eval captions --refs "$B/$f" --preds "$P"
done
for f in garbage.json empty.json obj.json preds-num.json preds-null.json preds-noid.json dt-nums.json; do
	c "eval captions: --preds $f" -- eval captions --refs "$R" --preds "$B/$f"
done
c "eval captions: --preds []" -- eval captions --refs "$R" --preds "$B/list.json"
c "eval captions: refs as preds" -w refs.json -- eval captions --refs "$R" --preds "$R"
c "eval captions: instances as refs" -w gt.json -- eval captions --refs "$COCO/gt.json" --preds "$P"
c "eval captions: --strict" -- eval captions --refs "$R" --preds "$P" --strict
c "eval captions: --tokenize" -- eval captions --tokenize "$FX/captions/small/README.md"
c "eval captions: --tokenize missing" -w nope.txt -- eval captions --tokenize "$B/nope.txt"
c "eval captions: --tokenize /dev/zero" -w /dev/zero -- eval captions --tokenize /dev/zero
c "eval captions: --tokenize a directory" -w dir -- eval captions --tokenize "$B/dir"
c "eval captions: --tokenize garbage" -- eval captions --tokenize "$B/garbage.bin"
c "eval captions: --tokenize - (stdin empty)" -- eval captions --tokenize -
c "eval captions: --tokenize with --refs" -2 -w tokenize -- eval captions --tokenize "$B/text.json" --refs "$R"
c "eval captions: --tokenize with --json" -2 -w json -- eval captions --tokenize "$B/text.json" --json
c "eval captions: --refs /dev/zero" -w /dev/zero -- eval captions --refs /dev/zero --preds "$P"
c "eval captions: shapes50" -- eval captions --refs "$FX/captions/shapes50/refs.json" --preds "$FX/captions/shapes50/preds.json"

# ---- eval panoptic
PG=$PAN/gt.json PP=$PAN/pred.json
c "eval panoptic: no flags" -2 -- eval panoptic
c "eval panoptic: ok" -- eval panoptic --gt-json "$PG" --pred-json "$PP"
c "eval panoptic: ok --json" -- eval panoptic --gt-json "$PG" --pred-json "$PP" --json
c "eval panoptic: --pred-json missing" -w nope.json -- eval panoptic --gt-json "$PG" --pred-json "$B/nope.json"
c "eval panoptic: --gt-dir missing" -w nope -- eval panoptic --gt-json "$PG" --gt-dir "$B/nope" --pred-json "$PP" --pred-dir "$PAN/pred"
c "eval panoptic: --pred-dir empty" -w emptydir -- eval panoptic --gt-json "$PG" --pred-json "$PP" --pred-dir "$B/emptydir"
c "eval panoptic: --pred-dir a file" -w "$IN/file" -- eval panoptic --gt-json "$PG" --pred-json "$PP" --pred-dir "$IN/file"
for f in garbage.json empty.json list.json nested.json pan-seg-obj.json inst-empty.json; do
	c "eval panoptic: --pred-json $f" -- eval panoptic --gt-json "$PG" --pred-json "$B/$f" --pred-dir "$PAN/pred"
	c "eval panoptic: --gt-json $f" -- eval panoptic --gt-json "$B/$f" --gt-dir "$PAN/gt" --pred-json "$PP" --pred-dir "$PAN/pred"
done
c "eval panoptic: instances as gt" -w gt.json -- eval panoptic --gt-json "$COCO/gt.json" --gt-dir "$PAN/gt" --pred-json "$PP" --pred-dir "$PAN/pred"
c "eval panoptic: a truncated pred PNG" -w "$first" -- eval panoptic --gt-json "$PG" --pred-json "$PP" --pred-dir "$IN/pan-trunc"
c "eval panoptic: a bomb-header pred PNG" -w "$first" -- eval panoptic --gt-json "$PG" --pred-json "$PP" --pred-dir "$IN/pan-bomb"
c "eval panoptic: a garbage pred PNG" -w "$first" -- eval panoptic --gt-json "$PG" --pred-json "$PP" --pred-dir "$IN/pan-garbage"
c "eval panoptic: --workers -1" -2 -w workers -- eval panoptic --gt-json "$PG" --pred-json "$PP" --workers -1
c "eval panoptic: --workers 100000000" -- eval panoptic --gt-json "$PG" --pred-json "$PP" --workers 100000000
c "eval panoptic: --strict" -- eval panoptic --gt-json "$PG" --pred-json "$PP" --strict
c "eval panoptic: real2" -- eval panoptic --gt-json "$FX/panoptic/real2/gt.json" --pred-json "$FX/panoptic/real2/pred.json"
c "eval panoptic: gt against itself" -- eval panoptic --gt-json "$PG" --pred-json "$PG" --pred-dir "$PAN/gt"
c "eval panoptic: mismatched pair" -w "" -- eval panoptic --gt-json "$PG" --pred-json "$FX/panoptic/real2/pred.json" --pred-dir "$FX/panoptic/real2/pred"
c "eval panoptic: --gt-json /dev/zero" -w /dev/zero -- eval panoptic --gt-json /dev/zero --gt-dir "$PAN/gt" --pred-json "$PP"

# ---- eval colorfulness
c "eval colorfulness: no images" -2 -- eval colorfulness
c "eval colorfulness: ok" -- eval colorfulness "$COL/camera.png" "$COL/coffee.png"
c "eval colorfulness: ok, --json after the images" -- eval colorfulness "$COL/camera.png" --json
c "eval colorfulness: a jpeg" -- eval colorfulness "$JPG"
c "eval colorfulness: webp" -- eval colorfulness "$IN/shapes-det.webp"
c "eval colorfulness: missing" -w nope.png -- eval colorfulness "$B/nope.png"
for f in empty.png trunc.png trunc.jpg bomb-header.png bomb.png garbage.png text.png json.png dir; do
	c "eval colorfulness: $f" -- eval colorfulness "$B/$f"
done
c "eval colorfulness: /dev/zero" -w /dev/zero -- eval colorfulness /dev/zero
c "eval colorfulness: /dev/null" -w /dev/null -- eval colorfulness /dev/null
c "eval colorfulness: symlink loop" -- eval colorfulness "$B/loop"
c "eval colorfulness: --ref missing dir" -w nope -- eval colorfulness --ref "$B/nope" "$COL/camera.png"
c "eval colorfulness: --ref lacks the file" -w emptydir -- eval colorfulness --ref "$B/emptydir" "$COL/camera.png"
c "eval colorfulness: --ref a file" -w "$IN/file" -- eval colorfulness --ref "$IN/file" "$COL/camera.png"
c "eval colorfulness: --ref same size" -- eval colorfulness --ref "$B/dir" "$COL/camera.png"
c "eval colorfulness: --ref of another size" -w camera.png -- eval colorfulness --ref "$IN/otherref" "$COL/camera.png"
c "eval colorfulness: --input of another size" -w camera.png -- eval colorfulness --input "$IN/otherref" "$COL/camera.png"
c "eval colorfulness: --input ok --weight 2" -- eval colorfulness --input "$B/dir" --weight 2 "$COL/camera.png"
c "eval colorfulness: --weight NaN" -2 -w weight -- eval colorfulness --input "$B/dir" --weight NaN "$COL/camera.png"
c "eval colorfulness: --weight without --input" -2 -w input -- eval colorfulness --weight 2 "$COL/camera.png"
c "eval colorfulness: --max-image-mb 0" -2 -w max-image-mb -- eval colorfulness --max-image-mb 0 "$COL/camera.png"
c "eval colorfulness: --max-json-mb (no effect)" -2 -x -w max-json-mb -- eval colorfulness --max-json-mb 5 "$COL/camera.png"
c "eval colorfulness: identical --json (null psnr)" -- eval colorfulness --ref "$B/dir" --json "$COL/camera.png"

# ---- eval run
DM=$MODELS/detection-mle/1 DR=$MODELS/detection-reward/1
c "eval run: no flags" -2 -- eval run
c "eval run: --task nope" -2 -w nope -- eval run --task nope --data "$VAL" --model "$DM" --out "$O/r"
c "eval run: no --model" -2 -w model -- eval run --task detection --data "$VAL" --out "$O/r"
c "eval run: no --out" -2 -w out -- eval run --task detection --data "$VAL" --model "$DM"
c "eval run: no --data" -2 -w data -- eval run --task detection --model "$DM" --out "$O/r"
c "eval run: ok" -t 60 -- eval run --task detection --data "$VAL" --model "$DM" --out "$O/r"
c "eval run: ok, A/B" -t 60 -- eval run --task detection --data "$VAL" --model "$DM" --model "$DR" --out "$O/r" --resamples 50
c "eval run: --model missing" -w nope -- eval run --task detection --data "$VAL" --model "$IN/nope" --out "$O/r"
c "eval run: --model garbage" -w garbage.bin -- eval run --task detection --data "$VAL" --model "$B/garbage.bin" --out "$O/r"
c "eval run: --model of another task" -w captioning-mle -- eval run --task detection --data "$VAL" --model "$MODELS/captioning-mle/1" --out "$O/r"
c "eval run: --model REPO/NAME@99" -w 99 -- eval run --task detection --data "$VAL" --model "$MODELS/detection-mle@99" --out "$O/r"
c "eval run: --model REPO/NAME@x" -w "@x" -- eval run --task detection --data "$VAL" --model "$MODELS/detection-mle@x" --out "$O/r"
c "eval run: --model broken model.json" -w model.json -- eval run --task detection --data "$VAL" --model "$B/brokenrepo/detection-mle/1" --out "$O/r"
c "eval run: --model without graphs" -w "" -- eval run --task detection --data "$VAL" --model "$B/nograph/detection-mle/1" --out "$O/r"
c "eval run: --model twice the same" -t 60 -- eval run --task detection --data "$VAL" --model "$DM" --model "$DM" --out "$O/r" --resamples 10
c "eval run: three models" -t 60 -- eval run --task detection --data "$VAL" --model "$DM" --model "$DR" --model "$DM" --out "$O/r" --resamples 10
c "eval run: --data missing" -w nope -- eval run --task detection --data "$IN/nope" --model "$DM" --out "$O/r"
c "eval run: --data and --ann" -2 -w ann -- eval run --task detection --data "$VAL" --ann "$VAL/instances.json" --images "$VAL/images" --model "$DM" --out "$O/r"
c "eval run: --ann without --images" -2 -w images -- eval run --task detection --ann "$VAL/instances.json" --model "$DM" --out "$O/r"
c "eval run: --images without --ann" -2 -w ann -- eval run --task detection --data "$VAL" --images "$VAL/images" --model "$DM" --out "$O/r"
c "eval run: --ann garbage" -w garbage.json -- eval run --task detection --ann "$B/garbage.json" --images "$VAL/images" --model "$DM" --out "$O/r"
c "eval run: --out an input split" -w "$VAL" -- eval run --task detection --data "$VAL" --model "$DM" --out "$VAL"
c "eval run: --out a file" -w "$IN/file" -- eval run --task detection --data "$VAL" --model "$DM" --out "$IN/file"
c "eval run: --out a folder with files" -w "$B/dir" -- eval run --task detection --data "$VAL" --model "$DM" --out "$B/dir"
c "eval run: --concurrency 0" -2 -w concurrency -- eval run --task detection --data "$VAL" --model "$DM" --out "$O/r" --concurrency 0
c "eval run: --concurrency -1" -2 -w concurrency -- eval run --task detection --data "$VAL" --model "$DM" --out "$O/r" --concurrency -1
c "eval run: --concurrency 100000000" -t 60 -- eval run --task detection --data "$VAL" --model "$DM" --out "$O/r" --concurrency 100000000
c "eval run: RV_CONCURRENCY=x" -2 -w RV_CONCURRENCY -e RV_CONCURRENCY=x -- eval run --task detection --data "$VAL" --model "$DM" --out "$O/r"
c "eval run: --limit -1" -2 -w limit -- eval run --task detection --data "$VAL" --model "$DM" --out "$O/r" --limit -1
c "eval run: --shard 3/2" -2 -w 3/2 -- eval run --task detection --data "$VAL" --model "$DM" --out "$O/r" --shard 3/2
c "eval run: --shard x" -2 -w shard -- eval run --task detection --data "$VAL" --model "$DM" --out "$O/r" --shard x
c "eval run: --shard 0/0" -2 -w 0/0 -- eval run --task detection --data "$VAL" --model "$DM" --out "$O/r" --shard 0/0
c "eval run: --shard and --shards" -2 -w shards -- eval run --task detection --data "$VAL" --model "$DM" --out "$O/r" --shard 0/2 --shards 2
c "eval run: --shards 2 without JOB_COMPLETION_INDEX" -2 -w JOB_COMPLETION_INDEX -- eval run --task detection --data "$VAL" --model "$DM" --out "$O/r" --shards 2
c "eval run: JOB_COMPLETION_INDEX=x" -2 -w JOB_COMPLETION_INDEX -e JOB_COMPLETION_INDEX=x -- eval run --task detection --data "$VAL" --model "$DM" --out "$O/r" --shards 2
c "eval run: JOB_COMPLETION_INDEX=5 of 2" -2 -w JOB_COMPLETION_INDEX -e JOB_COMPLETION_INDEX=5 -- eval run --task detection --data "$VAL" --model "$DM" --out "$O/r" --shards 2
c "eval run: RV_SHARD=bad" -2 -w RV_SHARD -e RV_SHARD=1/x -- eval run --task detection --data "$VAL" --model "$DM" --out "$O/r"
c "eval run: --resamples -1" -2 -w resamples -- eval run --task detection --data "$VAL" --model "$DM" --model "$DR" --out "$O/r" --resamples -1
c "eval run: --threads -1" -2 -w threads -- eval run --task detection --data "$VAL" --model "$DM" --out "$O/r" --threads -1
c "eval run: --server unreachable" -w 127.0.0.1:1 -- eval run --task detection --data "$VAL" --model mle --out "$O/r" --server http://127.0.0.1:1
c "eval run: --server not a URL" -2 -w "::nope" -- eval run --task detection --data "$VAL" --model mle --out "$O/r" --server "::nope"
c "eval run: --server with --device" -2 -w device -- eval run --task detection --data "$VAL" --model mle --out "$O/r" --server http://127.0.0.1:1 --device cpu
c "eval run: --device cuda" -w cuda -- eval run --task detection --data "$VAL" --model "$DM" --out "$O/r" --device cuda
c "eval run: RV_TASK=nope" -2 -w RV_TASK -e RV_TASK=nope -- eval run --data "$VAL" --model "$DM" --out "$O/r"
c "eval run: --train-ann garbage" -w garbage.json -- eval run --task detection --data "$VAL" --model "$DM" --out "$O/r" --train-ann "$B/garbage.json"
c "eval run: --train-ann missing" -w nope.json -- eval run --task detection --data "$VAL" --model "$DM" --out "$O/r" --train-ann "$B/nope.json"
for s in trunc-img missing-img bomb-img garbage-inst empty-inst kind-inst bad-size img-is-dir; do
	c "eval run: split $s" -w "" -k -t 60 -- eval run --task detection --data "$SP/$s" --model "$DM" --out "$O/r"
done
c "eval run: --skip-bad on trunc-img" -t 60 -- eval run --task detection --data "$SP/trunc-img" --model "$DM" --out "$O/r" --skip-bad
c "eval run: captioning on a split without captions" -w "" -- eval run --task captioning --data "$SP/cap-garbage" --model "$MODELS/captioning-mle/1" --out "$O/r"
c "eval run: colorization, gray missing" -t 60 -- eval run --task colorization --data "$SP/gray-missing" --model "$MODELS/colorization-mle/1" --out "$O/r" --limit 1
c "eval run: panoptic, swapped PNGs" -w "" -t 60 -- eval run --task panoptic --data "$SP/pan-swap" --model "$MODELS/panoptic-mle/1" --out "$O/r" --limit 2

# ---- eval merge
c "eval merge: no args" -2 -- eval merge
c "eval merge: no --out" -2 -w out -- eval merge "$VAL"
c "eval merge: missing shard" -w nope -- eval merge "$IN/nope" --out "$O/m"
c "eval merge: not a run" -w "$VAL" -- eval merge "$VAL" --out "$O/m"
c "eval merge: a file" -w "$IN/file" -- eval merge "$IN/file" --out "$O/m"
c "eval merge: --resamples -1" -2 -w resamples -- eval merge "$VAL" --out "$O/m" --resamples -1
c "eval merge: --out an input" -w "" -- eval merge "$VAL" --out "$VAL"
mkdir -p "$O/sh"
(cd "$W" && "$BIN" eval run --task detection --data "$VAL" --model "$DM" --out "$IN/shard0" --shard 0/2 >/dev/null 2>&1)
(cd "$W" && "$BIN" eval run --task detection --data "$VAL" --model "$DM" --out "$IN/shard1" --shard 1/2 >/dev/null 2>&1)
INSNAP=$(snap "$IN")
inlist >"$T/in.list"
rm -rf "$T/pristine" && cp -a "$IN" "$T/pristine"
c "eval merge: one shard of two" -w "" -- eval merge "$IN/shard0" --out "$O/m"
c "eval merge: the same shard twice" -w "" -- eval merge "$IN/shard0" "$IN/shard0" --out "$O/m"
c "eval merge: ok" -- eval merge "$IN/shard0" "$IN/shard1" --out "$O/m"
c "eval merge: --out a shard" -w shard0 -- eval merge "$IN/shard0" "$IN/shard1" --out "$IN/shard0"

# ---- predict (in-process loads every model of --repo)
c "predict: no flags" -2 -- predict
c "predict: no --task" -2 -w task -- predict "$IMG"
c "predict: --task nope" -2 -w nope -- predict --task nope "$IMG"
c "predict: no image" -2 -w image -- predict --task detect
c "predict: ok" -- predict --task detect "$IMG"
c "predict: ok, caption, flags last" -- predict "$IMG" --task caption --num-samples 2 --seed 3
c "predict: ok jpeg" -- predict --task detect "$JPG"
c "predict: ok webp" -- predict --task caption "$IN/shapes-det.webp"
c "predict: missing image" -w nope.png -- predict --task detect "$B/nope.png"
for f in empty.png trunc.png trunc.jpg bomb-header.png bomb.png garbage.png text.png json.png dir loop; do
	c "predict: $f" -- predict --task detect "$B/$f"
done
c "predict: /dev/zero" -w /dev/zero -- predict --task detect /dev/zero
c "predict: /dev/null" -w /dev/null -- predict --task detect /dev/null
c "predict: one bad of two" -w trunc.png -- predict --task detect "$IMG" "$B/trunc.png"
c "predict: --out over the input" -w "" -x -- predict --task detect --out "$IMG" "$IMG"
c "predict: --out in a missing folder (made)" -- predict --task detect --out "$O/nope/x.png" "$IMG"
c "predict: --out a directory, one image" -w "" -- predict --task colorize --out "$B/dir" "$IMG"
c "predict: --out ok" -- predict --task detect --out "$O/x.png" "$IMG"
c "predict: --out, bad second image" -w trunc.png -- predict --task detect --out "$O/d" "$IMG" "$B/trunc.png"
c "predict: --out for caption" -2 -x -w out -- predict --task caption --out "$O/x.png" "$IMG"
c "predict: --temperature NaN" -2 -w temperature -- predict --task detect --temperature NaN "$IMG"
c "predict: --top-p 2" -2 -w top_p -- predict --task detect --top-p 2 "$IMG"
c "predict: --top-k -1" -2 -w top_k -- predict --task detect --top-k -1 "$IMG"
c "predict: --num-samples -1" -2 -w num_samples -- predict --task caption --num-samples -1 "$IMG"
c "predict: --num-samples 100000" -2 -w num_samples -- predict --task caption --num-samples 100000 "$IMG"
c "predict: --num-samples for detect" -2 -w num -- predict --task detect --num-samples 2 "$IMG"
c "predict: --max-detections -1" -2 -w max_detections -- predict --task detect --max-detections -1 "$IMG"
c "predict: --score-threshold NaN" -2 -w score_threshold -- predict --task detect --score-threshold NaN "$IMG"
c "predict: --score-threshold for caption" -2 -w score -- predict --task caption --score-threshold 0.5 "$IMG"
c "predict: --seed -5 (any negative: drawn)" -- predict --task detect --seed -5 --decoding sample "$IMG"
c "predict: --decoding beam" -2 -w beam -- predict --task detect --decoding beam "$IMG"
c "predict: --variant nope" -w nope -- predict --task detect --variant nope "$IMG"
c "predict: --repo missing" -w nope -- predict --task detect --repo "$IN/nope" "$IMG"
c "predict: --repo empty" -w emptyrepo -- predict --task detect --repo "$B/emptyrepo" "$IMG"
c "predict: --repo a file" -w "$IN/file" -- predict --task detect --repo "$IN/file" "$IMG"
c "predict: --repo broken model.json" -w model.json -- predict --task detect --repo "$B/brokenrepo" "$IMG"
c "predict: --repo without graphs" -w "" -- predict --task detect --repo "$B/nograph" "$IMG"
c "predict: --repo without the task" -w encoder.onnx -- predict --task caption --repo "$B/nograph" "$IMG"
c "predict: --image-id -1 (any COCO id)" -- predict --task detect --image-id -1 "$IMG"
c "predict: --max-body-mb 0" -2 -w max-body-mb -- predict --task detect --max-body-mb 0 "$IMG"
c "predict: --max-pixels 0" -2 -w max-pixels -- predict --task detect --max-pixels 0 "$IMG"
c "predict: --max-pixels 10 (image over it)" -w pixels -- predict --task detect --max-pixels 10 "$IMG"
c "predict: --timeout 0" -2 -w timeout -- predict --task detect --timeout 0 "$IMG"
c "predict: --timeout -1s" -2 -w timeout -- predict --task detect --timeout -1s "$IMG"
c "predict: --timeout 1ns" -w "" -- predict --task detect --timeout 1ns "$IMG"
c "predict: --model-batching garbage" -2 -w model-batching -- predict --task detect --model-batching garbage "$IMG"
c "predict: --ab garbage" -2 -w ab -- predict --task detect --ab garbage "$IMG"
c "predict: --preferred-batch-sizes x" -2 -w preferred-batch-sizes -- predict --task detect --preferred-batch-sizes x "$IMG"
c "predict: RV_MAX_BATCH_SIZE=-1" -2 -w RV_MAX_BATCH_SIZE -e RV_MAX_BATCH_SIZE=-1 -- predict --task detect "$IMG"
c "predict: --max-inflight -1" -2 -w max-inflight -- predict --task detect --max-inflight -1 "$IMG"
c "predict: --max-queue -1" -2 -w max-queue -- predict --task detect --max-queue -1 "$IMG"
c "predict: --intra-op-threads -1" -2 -w intra-op-threads -- predict --task detect --intra-op-threads -1 "$IMG"
c "predict: --device tpu" -2 -w tpu -- predict --task detect --device tpu "$IMG"
c "predict: --server unreachable" -w 127.0.0.1:1 -- predict --task detect --server http://127.0.0.1:1 "$IMG"
c "predict: --server not a URL" -2 -w "::nope" -- predict --task detect --server "::nope" "$IMG"
c "predict: --server ftp://" -2 -w ftp -- predict --task detect --server ftp://127.0.0.1/ "$IMG"
c "predict: --server with --repo" -2 -w repo -- predict --task detect --server http://127.0.0.1:1 --repo "$MODELS" "$IMG"
c "predict: RV_SERVER=junk" -2 -w RV_SERVER -e RV_SERVER="::junk" -- predict --task detect "$IMG"
c "predict: RV_TIMEOUT=x" -2 -w RV_TIMEOUT -e RV_TIMEOUT=x -- predict --task detect "$IMG"
c "predict: RV_ORT_ARENA=maybe" -2 -w RV_ORT_ARENA -e RV_ORT_ARENA=maybe -- predict --task detect "$IMG"
c "predict: RV_MAX_PIXELS=-5" -2 -w RV_MAX_PIXELS -e RV_MAX_PIXELS=-5 -- predict --task detect "$IMG"
c "predict: RV_DRAIN_TIMEOUT=x" -2 -w RV_DRAIN_TIMEOUT -e RV_DRAIN_TIMEOUT=x -- predict --task detect "$IMG"
c "predict: RV_REPO missing" -w "RV_REPO|$IN/nope" -e RV_REPO="$IN/nope" -- predict --task detect "$IMG"
c "predict: colorize ok --out" -- predict --task colorize --out "$O/c.png" "$IMG"
c "predict: panoptic ok --out" -- predict --task panoptic --out "$O/p.png" "$IMG"
c "predict: bomb via --max-pixels" -w bomb.png -- predict --task colorize --out "$O/c.png" "$B/bomb.png"

# ---- serve (a started server is killed by the timeout: "accepted" when the flags were bad)
ST=8
c "serve: --repo missing" -t $ST -w nope -- serve --addr 127.0.0.1:0 --repo "$IN/nope"
c "serve: --repo a file" -t $ST -w "$IN/file" -- serve --addr 127.0.0.1:0 --repo "$IN/file"
c "serve: --repo empty" -t $ST -x -w emptyrepo -- serve --addr 127.0.0.1:0 --repo "$B/emptyrepo"
c "serve: --repo broken" -t $ST -x -w model.json -- serve --addr 127.0.0.1:0 --repo "$B/brokenrepo"
c "serve: --repo without graphs" -t $ST -x -- serve --addr 127.0.0.1:0 --repo "$B/nograph"
c "serve: --addr junk" -t $ST -2 -w junk -- serve --addr junk
c "serve: --addr :99999" -t $ST -2 -w 99999 -- serve --addr :99999
c "serve: --addr unresolvable host" -t $ST -w nosuchhost -- serve --addr nosuchhost.invalid:8080
c "serve: --addr not local" -t $ST -w 203.0.113.9 -- serve --addr 203.0.113.9:8080
c "serve: --watch -1s" -t $ST -2 -w watch -- serve --addr 127.0.0.1:0 --watch -1s
c "serve: --watch abc" -t $ST -2 -w abc -- serve --addr 127.0.0.1:0 --watch abc
c "serve: --timeout 0" -t $ST -2 -w timeout -- serve --addr 127.0.0.1:0 --timeout 0
c "serve: --max-body-mb -1" -t $ST -2 -w max-body-mb -- serve --addr 127.0.0.1:0 --max-body-mb -1
c "serve: --max-body-mb 1000000000" -t $ST -2 -x -w max-body-mb -- serve --addr 127.0.0.1:0 --max-body-mb 1000000000000
c "serve: --max-pixels -1" -t $ST -2 -w max-pixels -- serve --addr 127.0.0.1:0 --max-pixels -1
c "serve: --max-queue -1" -t $ST -2 -w max-queue -- serve --addr 127.0.0.1:0 --max-queue -1
c "serve: --max-inflight -1" -t $ST -2 -w max-inflight -- serve --addr 127.0.0.1:0 --max-inflight -1
c "serve: --max-batch-size 0" -t $ST -2 -w max-batch-size -- serve --addr 127.0.0.1:0 --max-batch-size 0
c "serve: --max-queue-delay-us -1" -t $ST -2 -w max-queue-delay-us -- serve --addr 127.0.0.1:0 --max-queue-delay-us -1
c "serve: --batch-idle-release 0s" -t $ST -2 -w batch-idle-release -- serve --addr 127.0.0.1:0 --batch-idle-release 0s
c "serve: --preferred-batch-sizes 0,x" -t $ST -2 -w preferred-batch-sizes -- serve --addr 127.0.0.1:0 --max-batch-size 8 --preferred-batch-sizes 0,x
c "serve: --preferred-batch-sizes without batching" -t $ST -2 -x -w preferred -- serve --addr 127.0.0.1:0 --preferred-batch-sizes 4
c "serve: --model-batching max=abc" -t $ST -2 -w abc -- serve --addr 127.0.0.1:0 --model-batching 'detection-mle:max=abc'
# a name no model has is a start-up warning, not an error: a reload (--watch, SIGHUP) may add the model
c "serve: --model-batching unknown model" -t $ST -- serve --addr 127.0.0.1:0 --model-batching 'nosuch:max=2'
c "serve: --model-batching unknown key" -t $ST -2 -w color -- serve --addr 127.0.0.1:0 --model-batching 'detection-mle:color=2'
c "serve: --ab weights 50/40 (relative, by design)" -t $ST -- serve --addr 127.0.0.1:0 --ab 'detection=mle:50,reward:40'
c "serve: --ab unknown variant" -t $ST -2 -x -w nosuch -- serve --addr 127.0.0.1:0 --ab 'detection=nosuch:100'
c "serve: --ab unknown task" -t $ST -2 -x -w nosuch -- serve --addr 127.0.0.1:0 --ab 'nosuch=mle:100'
c "serve: --ab junk" -t $ST -2 -w junk -- serve --addr 127.0.0.1:0 --ab junk
c "serve: --ab negative weight" -t $ST -2 -w -- -- serve --addr 127.0.0.1:0 --ab 'detection=mle:-50,reward:150'
c "serve: --reports missing" -t $ST -x -w nope -- serve --addr 127.0.0.1:0 --reports "$IN/nope"
c "serve: --reports a file" -t $ST -x -w "$IN/file" -- serve --addr 127.0.0.1:0 --reports "$IN/file"
c "serve: --drain-timeout -1s" -t $ST -2 -w drain-timeout -- serve --addr 127.0.0.1:0 --drain-timeout -1s
c "serve: --intra-op-threads -1" -t $ST -2 -w intra-op-threads -- serve --addr 127.0.0.1:0 --intra-op-threads -1
c "serve: --inter-op-threads -1" -t $ST -2 -w inter-op-threads -- serve --addr 127.0.0.1:0 --inter-op-threads -1
c "serve: --ort-arena=maybe" -t $ST -2 -w maybe -- serve --addr 127.0.0.1:0 --ort-arena=maybe
c "serve: RV_ORT_ARENA=maybe" -t $ST -2 -w RV_ORT_ARENA -e RV_ORT_ARENA=maybe -- serve --addr 127.0.0.1:0
c "serve: RV_WATCH=x" -t $ST -2 -w RV_WATCH -e RV_WATCH=x -- serve --addr 127.0.0.1:0
c "serve: RV_TIMEOUT=x" -t $ST -2 -w RV_TIMEOUT -e RV_TIMEOUT=x -- serve --addr 127.0.0.1:0
c "serve: RV_MAX_QUEUE=x" -t $ST -2 -w RV_MAX_QUEUE -e RV_MAX_QUEUE=x -- serve --addr 127.0.0.1:0
c "serve: RV_MAX_BODY_MB=x" -t $ST -2 -w RV_MAX_BODY_MB -e RV_MAX_BODY_MB=x -- serve --addr 127.0.0.1:0
c "serve: RV_INTER_OP_THREADS=x" -t $ST -2 -w RV_INTER_OP_THREADS -e RV_INTER_OP_THREADS=x -- serve --addr 127.0.0.1:0
c "serve: RV_MAX_QUEUE_DELAY_US=x" -t $ST -2 -w RV_MAX_QUEUE_DELAY_US -e RV_MAX_QUEUE_DELAY_US=x -- serve --addr 127.0.0.1:0
c "serve: RV_MODEL_BATCHING=x" -t $ST -2 -w RV_MODEL_BATCHING -e RV_MODEL_BATCHING=x -- serve --addr 127.0.0.1:0
c "serve: RV_PREFERRED_BATCH_SIZES=x" -t $ST -2 -w RV_PREFERRED_BATCH_SIZES -e RV_PREFERRED_BATCH_SIZES=x -- serve --addr 127.0.0.1:0 --max-batch-size 4
c "serve: RV_AB=x" -t $ST -2 -w RV_AB -e RV_AB=x -- serve --addr 127.0.0.1:0
c "serve: RV_REPORTS=file" -t $ST -x -w "RV_REPORTS|$IN/file" -e RV_REPORTS="$IN/file" -- serve --addr 127.0.0.1:0
c "serve: stray argument" -t $ST -2 -w stray -- serve --addr 127.0.0.1:0 stray
c "serve: --device cuda" -t $ST -w cuda -- serve --addr 127.0.0.1:0 --device cuda

# ---- bench serve (never a full run: each case is a bad value)
c "bench serve: --concurrency 0" -2 -w concurrency -- bench serve --concurrency 0
c "bench serve: --concurrency x" -2 -w concurrency -- bench serve --concurrency x
c "bench serve: --concurrency empty" -2 -w concurrency -- bench serve --concurrency ""
c "bench serve: --concurrency 1000000" -2 -x -w concurrency -- bench serve --concurrency 1000000 --duration 1s --tasks detect
c "bench serve: --duration 0" -2 -w duration -- bench serve --duration 0
c "bench serve: --duration -1s" -2 -w duration -- bench serve --duration -1s
c "bench serve: --tasks nope" -2 -w nope -- bench serve --tasks nope
c "bench serve: --tasks empty" -2 -w tasks -- bench serve --tasks ""
c "bench serve: --detect-image missing" -w nope.png -- bench serve --detect-image "$B/nope.png" --tasks detect
c "bench serve: --detect-image garbage" -w garbage.png -- bench serve --detect-image "$B/garbage.png" --tasks detect
c "bench serve: --detect-image bomb" -w bomb.png -- bench serve --detect-image "$B/bomb.png" --tasks detect
c "bench serve: --repo missing" -w nope -- bench serve --repo "$IN/nope" --tasks detect
c "bench serve: --max-batch-size -1" -2 -w max-batch-size -- bench serve --max-batch-size -1
c "bench serve: --unbatched without batching" -2 -x -w unbatched -- bench serve --unbatched --duration 1s --concurrency 1 --tasks detect
c "bench serve: stray argument" -2 -w stray -- bench serve stray

# ---- export
CK=$IN/ckpt/detection-mle
c "export: no flags" -2 -- export
c "export: no --repo" -2 -w repo -- export --ckpt "$CK"
c "export: no --ckpt" -2 -w ckpt -- export --repo "$O/repo"
c "export: ok" -- export --ckpt "$CK" --repo "$O/repo"
c "export: --ckpt missing" -w nope -- export --ckpt "$IN/nope" --repo "$O/repo"
c "export: --ckpt empty dir" -w emptydir -- export --ckpt "$B/emptydir" --repo "$O/repo"
c "export: --ckpt a file" -w "$IN/file" -- export --ckpt "$IN/file" --repo "$O/repo"
c "export: --ckpt without meta.json" -w ckpt-nometa -- export --ckpt "$B/ckpt-nometa" --repo "$O/repo"
c "export: --ckpt bad meta.json" -w meta.json -- export --ckpt "$B/ckpt-badmeta" --repo "$O/repo"
c "export: --ckpt truncated weights" -w ckpt-truncw -- export --ckpt "$B/ckpt-truncw" --repo "$O/repo"
c "export: --ckpt a model entry" -w "" -- export --ckpt "$DM" --repo "$O/repo"
c "export: --ckpt a vq folder" -w colorization-vq -- export --ckpt "$IN/ckpt/colorization-vq" --repo "$O/repo"
c "export: --repo a file" -w "$IN/file" -- export --ckpt "$CK" --repo "$IN/file"
c "export: existing entry without --force" -w "" -- export --ckpt "$CK" --repo "$MODELS"
c "export: --version 0" -2 -w version -- export --ckpt "$CK" --repo "$O/repo" --version 0
c "export: --version -1" -2 -w version -- export --ckpt "$CK" --repo "$O/repo" --version -1
c "export: --variant nope" -2 -w nope -- export --ckpt "$CK" --repo "$O/repo" --variant nope
c "export: --name ../escape" -2 -w name -- export --ckpt "$CK" --repo "$O/repo" --name ../escape
c "export: --name a/b" -2 -w name -- export --ckpt "$CK" --repo "$O/repo" --name a/b
c "export: --name empty" -- export --ckpt "$CK" --repo "$O/repo" --name ""
c "export: --name with a space" -- export --ckpt "$CK" --repo "$O/repo" --name "a b"
c "export: --verify-images 0" -2 -w verify-images -- export --ckpt "$CK" --repo "$O/repo" --verify --verify-images 0
c "export: --verify-images without --verify" -2 -w verify -- export --ckpt "$CK" --repo "$O/repo" --verify-images 2
c "export: --threads -1" -2 -w threads -- export --ckpt "$CK" --repo "$O/repo" --verify --threads -1
c "export: --verify --device cuda" -w cuda -t 60 -- export --ckpt "$CK" --repo "$O/repo" --verify --device cuda
c "export: --verify ok" -t 90 -- export --ckpt "$CK" --repo "$O/repo" --verify --verify-images 1
c "export: --ort-lib garbage with --verify" -w garbage.bin -- export --ckpt "$CK" --repo "$O/repo" --verify --ort-lib "$B/garbage.bin"
c "export: RV_MODEL_REPO=file" -w "RV_MODEL_REPO|$IN/file" -e RV_MODEL_REPO="$IN/file" -- export --ckpt "$CK"
c "export: stray argument" -2 -w stray -- export --ckpt "$CK" --repo "$O/repo" stray

# ---- train (every case is a bad value: it fails before training; tiny sizes where it might not)
TS="--steps 2 --warmup 1 --batch 2 --eval-n 2 --ckpt-every 1 --log-every 1"
# shellcheck disable=SC2086
tm() { local n=$1; shift; c "train mle: $n" "$@"; }
tm "no flags" -2 -- train mle
tm "--task nope" -2 -w nope -- train mle --task nope --data "$SPLIT" --out "$O/r"
tm "no --data" -2 -w data -- train mle --task detection --out "$O/r"
tm "no --out" -2 -w out -- train mle --task detection --data "$SPLIT"
tm "--data missing" -w nope -- train mle --task detection --data "$IN/nope" --out "$O/r" $TS
tm "--data a split (no train/)" -w train -- train mle --task detection --data "$VAL" --out "$O/r" $TS
tm "--data with garbage train split" -w instances.json -- train mle --task detection --data "$IN/badroot" --out "$O/r" $TS
tm "--data with a truncated image" -w "" -t 60 -- train mle --task detection --data "$IN/trunc-root" --out "$O/r" $TS
tm "--data and --train" -2 -w train -- train mle --task detection --data "$SPLIT" --train "$SPLIT/train" --out "$O/r" $TS
tm "--train without --val" -2 -w val -- train mle --task detection --train "$SPLIT/train" --out "$O/r" $TS
for fl in "--steps 0" "--steps -1" "--batch 0" "--lr -1" "--lr NaN" "--warmup -1" "--clip -1" "--weight-decay -1" "--eval-every -1" "--eval-n -1" "--patch 7" "--width -1" "--enc-depth -1" "--dec-depth -1" "--bins -1" "--bins 1" "--box-order nope" "--max-boxes 101" "--max-boxes -1" "--pos-init nope" "--stem-channels -1" "--workers 0"; do
	# shellcheck disable=SC2086
	tm "$fl" -2 -w "$(flagname "$fl")" -- train mle --task detection --data "$SPLIT" --out "$O/r" $TS $fl
done
# valid: 0 takes the default (keep, log-every, patch), checkpoint only at the end
for fl in "--keep 0" "--ckpt-every 0" "--log-every 0" "--patch 0" "--heads 3"; do
	# shellcheck disable=SC2086
	tm "$fl (valid)" -t 60 -- train mle --task detection --data "$SPLIT" --out "$O/r" $TS $fl
done
tm "--max-len -1 (captioning)" -2 -w max-len -- train mle --task captioning --data "$SPLIT" --out "$O/r" $TS --max-len -1
tm "--max-len for detection" -2 -w max-len -- train mle --task detection --data "$SPLIT" --out "$O/r" $TS --max-len 5
tm "--bins for captioning" -2 -w bins -- train mle --task captioning --data "$SPLIT" --out "$O/r" $TS --bins 10
tm "--vq for detection" -2 -w vq -- train mle --task detection --data "$SPLIT" --out "$O/r" $TS --vq "$IN/ckpt/colorization-vq"
tm "colorization without --vq" -2 -w vq -- train mle --task colorization --data "$SPLIT" --out "$O/r" $TS
tm "colorization --vq missing" -w nope -- train mle --task colorization --data "$SPLIT" --out "$O/r" $TS --vq "$IN/nope"
tm "colorization --vq garbage" -w garbage.json -- train mle --task colorization --data "$SPLIT" --out "$O/r" $TS --vq "$B/garbage.json"
tm "colorization --vq list" -w list.json -- train mle --task colorization --data "$SPLIT" --out "$O/r" $TS --vq "$B/list.json"
tm "panoptic --vq a colorization code" -w colorization-vq -- train mle --task panoptic --data "$SPLIT" --out "$O/r" $TS --vq "$IN/ckpt/colorization-vq"
tm "--init-encoder missing" -w nope -- train mle --task detection --data "$SPLIT" --out "$O/r" $TS --init-encoder "$IN/nope"
tm "--init-encoder garbage" -w ckpt-badmeta -- train mle --task detection --data "$SPLIT" --out "$O/r" $TS --init-encoder "$B/ckpt-badmeta"
tm "--init-encoder truncated weights" -w ckpt-truncw -t 60 -- train mle --task detection --data "$SPLIT" --out "$O/r" $TS --init-encoder "$B/ckpt-truncw"
tm "--resume, --out missing" -w "$O/r" -- train mle --task detection --data "$SPLIT" --out "$O/r" $TS --resume
tm "--resume on a non-run folder" -w dir -- train mle --task detection --data "$SPLIT" --out "$B/dir" $TS --resume
tm "--out the data split" -w "$SPLIT/train" -- train mle --task detection --data "$SPLIT" --out "$SPLIT/train" $TS
tm "--out a file" -w "$IN/file" -- train mle --task detection --data "$SPLIT" --out "$IN/file" $TS
tm "--out a shipped checkpoint" -w detection-mle -- train mle --task detection --data "$SPLIT" --out "$CK" $TS
tm "RV_WORKERS=x" -2 -w RV_WORKERS -e RV_WORKERS=x -- train mle --task detection --data "$SPLIT" --out "$O/r" $TS
tm "stray argument" -2 -w stray -- train mle --task detection --data "$SPLIT" --out "$O/r" $TS stray

tr_() { local n=$1; shift; c "train reward: $n" "$@"; }
RS="--steps 1 --warmup 0 --batch 2 --samples 2 --eval-n 2"
tr_ "no flags" -2 -- train reward
tr_ "no --init" -2 -w init -- train reward --data "$SPLIT" --out "$O/r"
tr_ "--init missing" -w nope -- train reward --init "$IN/nope" --data "$SPLIT" --out "$O/r" $RS
tr_ "--init bad meta" -w meta.json -- train reward --init "$B/ckpt-badmeta" --data "$SPLIT" --out "$O/r" $RS
tr_ "--init a model entry" -w "" -- train reward --init "$DM" --data "$SPLIT" --out "$O/r" $RS
tr_ "--init a vq folder" -w colorization-vq -- train reward --init "$IN/ckpt/colorization-vq" --data "$SPLIT" --out "$O/r" $RS
for fl in "--samples 1" "--samples 0" "--temperature 0" "--temperature -1" "--batch 0" "--steps 0" "--lr -1" "--threads -1" "--keep -1" "--eval-n -1"; do
	# shellcheck disable=SC2086
	tr_ "$fl" -2 -w "$(flagname "$fl")" -- train reward --init "$CK" --data "$SPLIT" --out "$O/r" $RS $fl
done
tr_ "--task mismatch (the checkpoint's task: exit 1)" -w captioning -- train reward --init "$CK" --task captioning --data "$SPLIT" --out "$O/r" $RS
tr_ "--task nope" -2 -w nope -- train reward --init "$CK" --task nope --data "$SPLIT" --out "$O/r" $RS
tr_ "--ort-lib garbage" -w garbage.bin -- train reward --init "$CK" --data "$SPLIT" --out "$O/r" $RS --ort-lib "$B/garbage.bin"
tr_ "RV_ORT_THREADS=x" -2 -w RV_ORT_THREADS -e RV_ORT_THREADS=x -- train reward --init "$CK" --data "$SPLIT" --out "$O/r" $RS
tr_ "--out the --init folder" -w detection-mle -- train reward --init "$CK" --data "$SPLIT" --out "$CK" $RS
tr_ "--resume without a run" -w "$O/r" -- train reward --init "$CK" --data "$SPLIT" --out "$O/r" $RS --resume

tv() { local n=$1; shift; c "train vq: $n" "$@"; }
VS="--images 4 --eval-n 2 --k 4 --iters 1"
tv "no flags" -2 -- train vq
tv "--task detection" -2 -w detection -- train vq --task detection --data "$SPLIT" --out "$O/v" $VS
for fl in "--k 0" "--k -1" "--patch 7" "--patch 0" "--sub 3" "--sub 0" "--iters 0" "--images -1" "--eval-n -1" "--workers 0"; do
	# shellcheck disable=SC2086
	tv "$fl" -2 -w "$(flagname "$fl")" -- train vq --task colorization --data "$SPLIT" --out "$O/v" $VS $fl
done
PS="--images 4 --eval-n 2 --k 4"
tv "--ranks 0" -2 -w ranks -- train vq --task panoptic --data "$SPLIT" --out "$O/v" $PS --ranks 0
tv "--refits -1" -2 -w refits -- train vq --task panoptic --data "$SPLIT" --out "$O/v" $PS --refits -1
tv "--ranks for colorization" -2 -w ranks -- train vq --task colorization --data "$SPLIT" --out "$O/v" $VS --ranks 2
tv "--sub for panoptic" -2 -w sub -- train vq --task panoptic --data "$SPLIT" --out "$O/v" $PS --sub 4
tv "--data missing" -w nope -- train vq --task colorization --data "$IN/nope" --out "$O/v" $VS
tv "--data garbage split" -w instances.json -- train vq --task colorization --data "$IN/badroot" --out "$O/v" $VS
tv "--out a file" -w "$IN/file" -- train vq --task colorization --data "$SPLIT" --out "$IN/file" $VS
tv "--out the split" -w "$SPLIT" -- train vq --task colorization --data "$SPLIT" --out "$SPLIT" $VS
tv "--k 100000 (more than patches)" -w "" -- train vq --task colorization --data "$SPLIT" --out "$O/v" --images 4 --eval-n 2 --k 100000 --iters 1

ts() { local n=$1; shift; c "train ship: $n" "$@"; }
ts "no flags" -2 -- train ship
ts "no --to" -2 -w to -- train ship --from "$CK"
ts "--from missing" -w nope -- train ship --from "$IN/nope" --to "$O/s"
ts "--from == --to" -w "" -- train ship --from "$CK" --to "$CK"
cp -r "$IN/ckpt/captioning-mle" "$O/shipped"
ts "--to a shipped folder (replaced, by design)" -- train ship --from "$CK" --to "$O/shipped"
ts "--to a file" -w "$IN/file" -- train ship --from "$CK" --to "$IN/file"
ts "--to a non-checkpoint folder" -w dir -- train ship --from "$CK" --to "$B/dir"
ts "--from without meta" -w ckpt-nometa -- train ship --from "$B/ckpt-nometa" --to "$O/s"
ts "--from bad meta" -w meta.json -- train ship --from "$B/ckpt-badmeta" --to "$O/s"
ts "--from a vq folder" -w colorization-vq -- train ship --from "$IN/ckpt/colorization-vq" --to "$O/s"
ts "--from a data split" -w "$VAL" -- train ship --from "$VAL" --to "$O/s"
ts "ok" -- train ship --from "$CK" --to "$O/s"
ts "--val garbage split" -w "" -- train ship --from "$CK" --to "$O/s" --val "$SP/garbage-inst"
ts "--eval-n -1" -2 -w eval-n -- train ship --from "$CK" --to "$O/s" --val "$VAL" --eval-n -1
ts "--eval-n without --val" -2 -w val -- train ship --from "$CK" --to "$O/s" --eval-n 5
ts "--to the split" -w "$VAL" -- train ship --from "$CK" --to "$VAL"

tvl() { local n=$1; shift; c "train validate: $n" "$@"; }
tvl "no flags" -2 -- train validate
tvl "no --val" -2 -w val -- train validate --ckpt "$CK"
tvl "--ckpt missing" -w nope -- train validate --ckpt "$IN/nope" --val "$VAL"
tvl "--ckpt bad meta" -w meta.json -- train validate --ckpt "$B/ckpt-badmeta" --val "$VAL"
tvl "--ckpt truncated weights" -w ckpt-truncw -- train validate --ckpt "$B/ckpt-truncw" --val "$VAL"
tvl "--val missing" -w nope -- train validate --ckpt "$CK" --val "$IN/nope"
tvl "--val garbage" -w garbage-inst -- train validate --ckpt "$CK" --val "$SP/garbage-inst"
tvl "--val trunc image" -w "" -- train validate --ckpt "$CK" --val "$SP/trunc-img"
tvl "--eval-n -1" -2 -w eval-n -- train validate --ckpt "$CK" --val "$VAL" --eval-n -1
tvl "--results with --eval-n" -2 -w results -- train validate --ckpt "$CK" --val "$VAL" --eval-n 2 --results "$O/res.json"
tvl "--results into a missing folder" -w nope -- train validate --ckpt "$CK" --val "$VAL" --results "$IN/nope/res.json"
tvl "--results over the split's instances" -w instances.json -x -- train validate --ckpt "$CK" --val "$VAL" --results "$VAL/instances.json"
tvl "--results a directory" -w dir -- train validate --ckpt "$CK" --val "$VAL" --results "$B/dir"
tvl "ok" -t 60 -- train validate --ckpt "$CK" --val "$VAL" --results "$O/res.json"

tp() { local n=$1; shift; c "train plot: $n" "$@"; }
tp "no flags" -2 -- train plot
tp "no --out" -2 -w out -- train plot --log "$IN/log.jsonl"
tp "ok" -- train plot --log "$IN/log.jsonl" --out "$O/c.svg"
tp "ok, --out -" -- train plot --log "$CK" --out -
tp "--log missing" -w nope -- train plot --log "$IN/nope" --out "$O/c.svg"
for f in empty.json garbage.bin trunc.jsonl bad-log.jsonl huge-log.jsonl nested.json list.json; do
	tp "--log $f" -- train plot --log "$B/$f" --out "$O/c.svg"
done
tp "--log /dev/zero" -w /dev/zero -- train plot --log /dev/zero --out "$O/c.svg"
tp "--log a folder without log.jsonl" -w emptydir -- train plot --log "$B/emptydir" --out "$O/c.svg"
tp "--out a directory" -w dir -- train plot --log "$IN/log.jsonl" --out "$B/dir"
tp "--out over the log" -w log.jsonl -x -- train plot --log "$IN/log.jsonl" --out "$IN/log.jsonl"
tp "--out in a missing folder" -w nope -- train plot --log "$IN/log.jsonl" --out "$IN/nope/c.svg"
tp "stray argument" -2 -w stray -- train plot --log "$IN/log.jsonl" --out "$O/c.svg" stray

# ---- the same bad value for every command that reads these variables
for cmd in "data check $VAL" "eval panoptic --gt-json $PG --pred-json $PP" "train vq --task colorization --data $SPLIT --out $O/v $VS"; do
	# shellcheck disable=SC2086
	c "RV_WORKERS=-4: ${cmd%% --*}" -2 -w RV_WORKERS -e RV_WORKERS=-4 -- $cmd
done
for v in RV_MAX_JSON_MB RV_MAX_IMAGE_MB; do
	c "$v=0 (eval panoptic)" -2 -w $v -e $v=0 -- eval panoptic --gt-json "$PG" --pred-json "$PP"
	c "$v=1e3 (eval panoptic)" -2 -w $v -e $v=1e3 -- eval panoptic --gt-json "$PG" --pred-json "$PP"
done
c "RV_MAX_IMAGE_MB=1 vs a 2 MB image" -w "1 MB" -e RV_MAX_IMAGE_MB=1 -- eval colorfulness "$B/big.png"
c "RV_OUT=file (eval run)" -w "RV_OUT|$IN/file" -e RV_OUT="$IN/file" -- eval run --task detection --data "$VAL" --model "$DM"
c "RV_SEED=x (eval run)" -2 -w RV_SEED -e RV_SEED=x -- eval run --task detection --data "$VAL" --model "$DM" --out "$O/r"
c "RV_SEED=x (eval merge)" -2 -w RV_SEED -e RV_SEED=x -- eval merge "$IN/shard0" "$IN/shard1" --out "$O/m"
c "RV_DATA=missing (eval run)" -w "RV_DATA|$IN/nope" -e RV_DATA="$IN/nope" -- eval run --task detection --model "$DM" --out "$O/r"
c "RV_TRAIN_ANN=garbage (eval run)" -w "RV_TRAIN_ANN|garbage.json" -e RV_TRAIN_ANN="$B/garbage.json" -- eval run --task detection --data "$VAL" --model "$DM" --out "$O/r"
c "RV_SHARDS=x (eval run)" -2 -w RV_SHARDS -e RV_SHARDS=x -- eval run --task detection --data "$VAL" --model "$DM" --out "$O/r"
c "RV_EVAL_STRICT=1 (eval captions)" -e RV_EVAL_STRICT=1 -- eval captions --refs "$R" --preds "$P"
c "RV_INTRA_OP_THREADS=x (predict)" -2 -w RV_INTRA_OP_THREADS -e RV_INTRA_OP_THREADS=x -- predict --task detect "$IMG"
c "RV_MAX_INFLIGHT=x (predict)" -2 -w RV_MAX_INFLIGHT -e RV_MAX_INFLIGHT=x -- predict --task detect "$IMG"
c "RV_ORT_LIB=missing (train reward)" -w "RV_ORT_LIB|nope.so" -e RV_ORT_LIB="$IN/nope.so" -- train reward --init "$CK" --data "$SPLIT" --out "$O/r" $RS
c "RV_DEVICE=cuda:x (serve)" -t 8 -2 -w RV_DEVICE -e RV_DEVICE=cuda:x -- serve --addr 127.0.0.1:0
c "RV_ADDR=junk (serve)" -t 8 -2 -w RV_ADDR -e RV_ADDR=junk -- serve
c "RV_REPO=file (serve)" -t 8 -w "RV_REPO|$IN/file" -e RV_REPO="$IN/file" -- serve --addr 127.0.0.1:0

# ------------------------------------------------------------- the server
HTTPRES=$T/http.tsv
: >"$HTTPRES"
if [ "${SWEEP_SERVER:-1}" = only ] || { [ "${SWEEP_SERVER:-1}" = 1 ] && [ -z "$ONLY" ]; }; then
	echo "starting the server ${SWEEP_SERVE_FLAGS:-}..."
	SLOG=$T/serve.log
	# shellcheck disable=SC2086 # the extra flags split into words
	"$BIN" serve --addr 127.0.0.1:0 --repo "$MODELS" --max-body-mb 2 --timeout 10s ${SWEEP_SERVE_FLAGS:-} >"$SLOG" 2>&1 &
	SERVER_PID=$!
	URL=
	for _ in $(seq 100); do
		URL=$(grep -o '"addr":"http://[^"]*"' "$SLOG" | head -1 | sed 's/"addr":"//; s/"$//')
		[ -n "$URL" ] && curl -sf "$URL/readyz" >/dev/null 2>&1 && break
		sleep 0.3
	done
	[ -z "$URL" ] && { echo "server did not start:"; cat "$SLOG"; exit 1; }
	HN=0
	# h NAME WANT_STATUS_PREFIX curl-args... (WANT: a status like 400, 4 for any
# 4xx, 2 for a request that is odd but fine)
	h() {
		local name=$1 want=$2 code body cls
		shift 2
		HN=$((HN + 1))
		body=$T/hbody.$HN
		code=$(curl -s -m 20 -o "$body" -w '%{http_code}' "$@" 2>/dev/null)
		local rc=$?
		if [ $rc = 28 ]; then
			cls=hang
		elif ! kill -0 "$SERVER_PID" 2>/dev/null; then
			cls=crash
		elif [ "${code:0:1}" = 5 ]; then
			cls=server-error
		elif [ "${code:0:1}" = 2 ] && [ "$want" = 2 ]; then
			cls=clear
		elif [ "${code:0:1}" = 2 ]; then
			cls=accepted
		elif [ "${code:0:1}" = 4 ] && jq -e '.error' "$body" >/dev/null 2>&1; then
			if [ "${code:0:${#want}}" = "$want" ]; then cls=clear; else cls=wrongcode; fi
		elif [ "$code" = 000 ]; then
			cls=crash
		else
			cls=unclear
		fi
		local msg
		msg=$(head -c 200 "$body" | tr '\n' ' ')
		printf '%s\t%s\t%s\t%s\t%s\n' "$HN" "$cls" "$code" "$name" "$msg" >>"$HTTPRES"
		[ "$cls" != clear ] && printf '  %-12s %s %s: %s\n' "$cls" "$code" "$name" "$msg"
	}
	V1="$URL/v1"
	JSON='Content-Type: application/json'
	PNG='Content-Type: image/png'
	head -c 3000000 /dev/zero >"$T/zeros3m"
	bomb_header 50000 50000 "$T/bomb50k.png"
	h "detect: no body" 4 -X POST "$V1/detect"
	h "detect: empty multipart field" 400 -F "image=@$B/empty.png" "$V1/detect"
	h "detect: truncated PNG" 400 -F "image=@$B/trunc.png" "$V1/detect"
	h "detect: truncated JPEG" 400 -F "image=@$B/trunc.jpg" "$V1/detect"
	h "detect: bomb header" 413 -F "image=@$B/bomb-header.png" "$V1/detect"
	h "detect: real bomb" 413 -F "image=@$B/bomb.png" "$V1/detect"
	h "detect: garbage" 4 -F "image=@$B/garbage.png" "$V1/detect"
	h "detect: text as image/png" 4 -H "$PNG" --data-binary "@$B/text.png" "$V1/detect"
	h "detect: JSON body" 415 -H "$JSON" --data-binary "@$COCO/gt.json" "$V1/detect"
	h "detect: text/plain body" 415 -H 'Content-Type: text/plain' --data-binary "@$IMG" "$V1/detect"
	h "detect: no content type" 4 --data-binary "@$IMG" -H 'Content-Type:' "$V1/detect"
	h "detect: body over --max-body-mb" 413 -H "$PNG" --data-binary "@$T/zeros3m" "$V1/detect"
	h "detect: multipart without image field" 400 -F "file=@$IMG" "$V1/detect"
	h "detect: multipart, two images" 400 -F "image=@$IMG" -F "image=@$IMG" "$V1/detect"
	h "detect: broken multipart" 400 -H 'Content-Type: multipart/form-data; boundary=xyz' --data-binary 'garbage' "$V1/detect"
	h "detect: multipart without boundary" 400 -H 'Content-Type: multipart/form-data' --data-binary "@$IMG" "$V1/detect"
	h "detect: score_threshold=abc" 400 -F "image=@$IMG" "$V1/detect?score_threshold=abc"
	h "detect: score_threshold=NaN" 400 -F "image=@$IMG" "$V1/detect?score_threshold=NaN"
	h "detect: max_detections=-1" 400 -F "image=@$IMG" "$V1/detect?max_detections=-1"
	h "detect: max_detections huge" 400 -F "image=@$IMG" "$V1/detect?max_detections=99999999999999999999"
	h "detect: temperature=0" 400 -F "image=@$IMG" "$V1/detect?decoding=sample&temperature=0"
	h "detect: temperature=Inf" 400 -F "image=@$IMG" "$V1/detect?decoding=sample&temperature=Inf"
	h "detect: top_k=-1" 400 -F "image=@$IMG" "$V1/detect?top_k=-1"
	h "detect: top_p=2" 400 -F "image=@$IMG" "$V1/detect?top_p=2"
	h "detect: seed=x" 400 -F "image=@$IMG" "$V1/detect?seed=x"
	h "detect: decoding=beam" 400 -F "image=@$IMG" "$V1/detect?decoding=beam"
	h "detect: unknown parameter" 400 -F "image=@$IMG" "$V1/detect?colour=red"
	h "detect: parameter twice" 400 -F "image=@$IMG" "$V1/detect?seed=1&seed=2"
	h "detect: variant=nope" 404 -F "image=@$IMG" "$V1/detect?variant=nope"
	h "detect: X-Model-Variant nope" 404 -H 'X-Model-Variant: nope' -F "image=@$IMG" "$V1/detect"
	h "detect: compare=maybe" 400 -F "image=@$IMG" "$V1/detect?compare=maybe"
	h "detect: image_id=x" 400 -F "image=@$IMG" "$V1/detect?image_id=x"
	h "detect: num_samples (caption only)" 400 -F "image=@$IMG" "$V1/detect?num_samples=2"
	h "caption: num_samples=-1" 400 -F "image=@$IMG" "$V1/caption?num_samples=-1"
	h "caption: num_samples=100000" 400 -F "image=@$IMG" "$V1/caption?num_samples=100000"
	h "caption: score_threshold (detect only)" 400 -F "image=@$IMG" "$V1/caption?score_threshold=0.5"
	h "caption: a GIF header only" 400 -H 'Content-Type: image/gif' --data-binary 'GIF89a' "$V1/caption"
	h "colorize: Accept text/html" 406 -H 'Accept: text/html' -F "image=@$IMG" "$V1/colorize"
	h "colorize: Accept image/png with compare" 406 -H 'Accept: image/png' -F "image=@$IMG" "$V1/colorize?compare=true"
	h "colorize: bomb header" 413 -F "image=@$T/bomb50k.png" "$V1/colorize"
	h "panoptic: garbage" 4 -H "$PNG" --data-binary "@$B/garbage.bin" "$V1/panoptic"
	h "panoptic: Accept q=0 for all" 406 -H 'Accept: */*;q=0' -F "image=@$IMG" "$V1/panoptic"
	h "panoptic: bad Accept syntax (ignored, as RFC 9110 allows)" 2 -H 'Accept: ;;;q=abc' -F "image=@$IMG" "$V1/panoptic"
	h "GET /v1/detect" 405 "$V1/detect"
	h "unknown route" 404 "$URL/v1/nope"
	h "reports without --reports" 404 "$URL/v1/reports/../../etc/passwd"
	h "reports path traversal" 404 --path-as-is "$URL/reports/../../../etc/passwd"
	V2="$URL/v2/models"
	b64=$(base64 -w0 "$IMG")
	h "v2: unknown model" 404 "$V2/nope"
	h "v2: unknown version" 404 "$V2/detection-mle/versions/9"
	h "v2: version x" 4 "$V2/detection-mle/versions/x"
	h "v2: ready of unknown" 404 "$V2/nope/ready"
	h "v2 infer: unknown model" 404 -H "$JSON" -d '{"inputs":[]}' "$V2/nope/infer"
	h "v2 infer: empty body" 400 -H "$JSON" -X POST "$V2/detection-mle/infer"
	h "v2 infer: not JSON" 400 -H "$JSON" -d 'garbage' "$V2/detection-mle/infer"
	h "v2 infer: JSON list" 400 -H "$JSON" -d '[]' "$V2/detection-mle/infer"
	h "v2 infer: no inputs" 400 -H "$JSON" -d '{"inputs":[]}' "$V2/detection-mle/infer"
	h "v2 infer: inputs a string" 400 -H "$JSON" -d '{"inputs":"x"}' "$V2/detection-mle/infer"
	h "v2 infer: unknown input" 400 -H "$JSON" -d '{"inputs":[{"name":"nope","shape":[1],"datatype":"BYTES","data":["x"]}]}' "$V2/detection-mle/infer"
	h "v2 infer: image not base64" 400 -H "$JSON" -d '{"inputs":[{"name":"image","shape":[1],"datatype":"BYTES","data":["!!!"]}]}' "$V2/detection-mle/infer"
	h "v2 infer: image of garbage" 400 -H "$JSON" -d '{"inputs":[{"name":"image","shape":[1],"datatype":"BYTES","data":["'"$(head -c 300 "$B/garbage.bin" | base64 -w0)"'"]}]}' "$V2/detection-mle/infer"
	h "v2 infer: shape and data disagree" 400 -H "$JSON" -d '{"inputs":[{"name":"image","shape":[2],"datatype":"BYTES","data":["'"$b64"'"]}]}' "$V2/detection-mle/infer"
	h "v2 infer: negative shape" 400 -H "$JSON" -d '{"inputs":[{"name":"image","shape":[-1],"datatype":"BYTES","data":["'"$b64"'"]}]}' "$V2/detection-mle/infer"
	h "v2 infer: huge shape" 400 -H "$JSON" -d '{"inputs":[{"name":"pixels","shape":[100000,100000,100000,3],"datatype":"UINT8","data":[1]}]}' "$V2/detection-mle/infer"
	h "v2 infer: shape overflow" 400 -H "$JSON" -d '{"inputs":[{"name":"pixels","shape":[4294967296,4294967296,1,3],"datatype":"UINT8","data":[1]}]}' "$V2/detection-mle/infer"
	h "v2 infer: pixels of wrong datatype" 400 -H "$JSON" -d '{"inputs":[{"name":"pixels","shape":[1,1,1,3],"datatype":"FP32","data":[1,2,3]}]}' "$V2/detection-mle/infer"
	h "v2 infer: pixels value 300" 400 -H "$JSON" -d '{"inputs":[{"name":"pixels","shape":[1,1,1,3],"datatype":"UINT8","data":[300,2,3]}]}' "$V2/detection-mle/infer"
	h "v2 infer: pixels 4 channels" 400 -H "$JSON" -d '{"inputs":[{"name":"pixels","shape":[1,1,1,4],"datatype":"UINT8","data":[1,2,3,4]}]}' "$V2/detection-mle/infer"
	h "v2 infer: pixels zero size" 400 -H "$JSON" -d '{"inputs":[{"name":"pixels","shape":[1,0,0,3],"datatype":"UINT8","data":[]}]}' "$V2/detection-mle/infer"
	h "v2 infer: temperature as BYTES" 400 -H "$JSON" -d '{"inputs":[{"name":"image","shape":[1],"datatype":"BYTES","data":["'"$b64"'"]},{"name":"temperature","shape":[1],"datatype":"BYTES","data":["hot"]}]}' "$V2/detection-mle/infer"
	h "v2 infer: top_p 5" 400 -H "$JSON" -d '{"inputs":[{"name":"image","shape":[1],"datatype":"BYTES","data":["'"$b64"'"]},{"name":"top_p","shape":[1],"datatype":"FP32","data":[5]}]}' "$V2/detection-mle/infer"
	h "v2 infer: parameters seed string" 400 -H "$JSON" -d '{"inputs":[{"name":"image","shape":[1],"datatype":"BYTES","data":["'"$b64"'"]}],"parameters":{"seed":"x"}}' "$V2/detection-mle/infer"
	h "v2 infer: unknown output" 400 -H "$JSON" -d '{"inputs":[{"name":"image","shape":[1],"datatype":"BYTES","data":["'"$b64"'"]}],"outputs":[{"name":"nope"}]}' "$V2/detection-mle/infer"
	h "v2 infer: image twice" 400 -H "$JSON" -d '{"inputs":[{"name":"image","shape":[1],"datatype":"BYTES","data":["'"$b64"'"]},{"name":"image","shape":[1],"datatype":"BYTES","data":["'"$b64"'"]}]}' "$V2/detection-mle/infer"
	hdr='{"inputs":[{"name":"image","shape":[1],"datatype":"BYTES","parameters":{"binary_data_size":100}}]}'
	h "v2 binary: header length past the body" 400 -H "Inference-Header-Content-Length: 100000" --data-binary "$hdr" "$V2/detection-mle/infer"
	h "v2 binary: header length -1" 400 -H "Inference-Header-Content-Length: -1" --data-binary "$hdr" "$V2/detection-mle/infer"
	h "v2 binary: header length x" 400 -H "Inference-Header-Content-Length: x" --data-binary "$hdr" "$V2/detection-mle/infer"
	h "v2 binary: binary_data_size past the body" 400 -H "Inference-Header-Content-Length: ${#hdr}" --data-binary "${hdr}abc" "$V2/detection-mle/infer"
	hdr2='{"inputs":[{"name":"image","shape":[1],"datatype":"BYTES","parameters":{"binary_data_size":8}}]}'
	h "v2 binary: element length past its tensor" 400 -H "Inference-Header-Content-Length: ${#hdr2}" --data-binary "${hdr2}$(printf '\xff\xff\xff\x7fabcd')" "$V2/detection-mle/infer"
	hdr3='{"inputs":[{"name":"image","shape":[1],"datatype":"BYTES","parameters":{"binary_data_size":-5}}]}'
	h "v2 binary: binary_data_size negative" 400 -H "Inference-Header-Content-Length: ${#hdr3}" --data-binary "${hdr3}abcd" "$V2/detection-mle/infer"
	hdr4='{"inputs":[{"name":"pixels","shape":[1,2,2,3],"datatype":"UINT8","parameters":{"binary_data_size":5}}]}'
	h "v2 binary: pixels of the wrong size" 400 -H "Inference-Header-Content-Length: ${#hdr4}" --data-binary "${hdr4}abcde" "$V2/detection-mle/infer"
	h "v2 repository: load unknown" 4 -X POST "$URL/v2/repository/models/nope/load"
	h "v2 repository: load ../" 4 -X POST --path-as-is "$URL/v2/repository/models/..%2F..%2Fetc/load"
	h "v2 repository: index bad JSON" 400 -H "$JSON" -d '{"ready":"maybe"}' "$URL/v2/repository/index"
	h "v2: unknown route" 404 "$URL/v2/nope"
	sleep 0.5
	if grep -aqE 'panic|goroutine [0-9]+ \[' "$SLOG"; then
		HN=$((HN + 1)); printf '%s\t%s\t%s\t%s\t%s\n' "$HN" crash - "server log" "a panic in the log" >>"$HTTPRES"
		echo "  crash: the server log shows a panic"
	fi
	kill "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null; SERVER_PID=
fi

# ------------------------------------------------------------ the summary
echo
echo "CLI: $(wc -l <"$RES") cases"
cut -f2 "$RES" | sort | uniq -c | sort -rn
if [ -s "$HTTPRES" ]; then
	echo "HTTP: $(wc -l <"$HTTPRES") requests"
	cut -f2 "$HTTPRES" | sort | uniq -c | sort -rn
fi
bad=$(awk -F'\t' '$2 !~ /^(success|clear|usage)$/' "$RES" "$HTTPRES" | wc -l)
if [ "$bad" -gt 0 ]; then
	echo
	echo "not clear:"
	awk -F'\t' '$2 !~ /^(success|clear|usage)$/ {printf "  %-12s rc=%-3s %s: %s\n", $2, $3, $4, $5}' "$RES" "$HTTPRES"
	exit 1
fi
