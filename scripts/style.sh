#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The kernel's own style tools on drvsim's sources, with the kernel tree's
# settings. Each command prints what is wrong and exits non-zero if anything is.
#
#   style.sh fmt          format every .rs file in rust/ and samples/ (rustfmt
#                         with the kernel's .rustfmt.toml, as `make rustfmt`)
#   style.sh fmt-check    the same check only: list the files rustfmt would
#                         change and show the head of its diff
#   style.sh clippy       build the modules with the kernel's CLIPPY=1 in a copy
#                         of the sources ($DRVSIM_OUT/clippy; the real build is
#                         left alone); fail on any warning in rust/ or samples/
#   style.sh layers       no import circle among drvsim.ko's modules
#                         (scripts/layers.py)
#   style.sh checkpatch   the kernel's checkpatch.pl --no-tree -f on every C file;
#                         fail on any error, and on any warning not accepted in
#                         scripts/checkpatch-accepted.txt
#
# rustfmt and clippy-driver are Debian's, rustc-web's version ($RUSTFMT,
# $CLIPPY_DRIVER from env.sh), never the rustup ones in PATH. clippy needs a
# built kernel (KDIR, else scripts/kdir.sh); fmt and checkpatch need only its
# source: KDIR's, else Debian's linux-source (scripts/kernel-source.sh).
set -euo pipefail
. "$(dirname "$0")/env.sh"
S=$DRVSIM_ROOT/scripts
cd "$DRVSIM_ROOT"

usage() { echo "usage: style.sh fmt|fmt-check|clippy|checkpatch|layers" >&2; exit 2; }

# need FILE: install the toolchain first if FILE is missing.
need() { [ -x "$1" ] || "$S/bootstrap.sh" >&2; }

# The kernel source tree.
ksrc() {
	if [ -n "${KDIR:-}" ]; then
		# An O= build links its source; an in-tree build is its own.
		if [ -f "$KDIR/source/Makefile" ]; then echo "$KDIR/source"; else echo "$KDIR"; fi
	else
		"$S/bootstrap.sh" >&2
		"$S/kernel-source.sh"
	fi
}

rs_files() { find rust samples -type f -name '*.rs' | sort; }

rustfmt_run() { # rustfmt args...
	local k files
	need "$RUSTFMT"
	k=$(ksrc)
	mapfile -t files < <(rs_files)
	"$RUSTFMT" --config-path "$k/.rustfmt.toml" --color never "$@" "${files[@]}"
}

cmd_fmt() { rustfmt_run; }

cmd_fmt_check() {
	local out bad
	if out=$(rustfmt_run --check 2>&1); then
		echo "rustfmt: $(rs_files | wc -l) files formatted"
		return 0
	fi
	# Relative paths. The samples reach rust/'s shared files as
	# samples/../rust/, so rustfmt reports those twice: keep each hunk once.
	out=$(sed -e "s|$DRVSIM_ROOT/||g" -e 's|[A-Za-z0-9_-]*/\.\./||g' <<< "$out" |
		awk '/^Diff in / { skip = ($0 in seen); seen[$0] = 1 } !skip')
	bad=$(sed -n 's/^Diff in \(.*\):[0-9]*:$/\1/p' <<< "$out" | sort -u)
	[ -z "$bad" ] || sed 's/^/not formatted: /' <<< "$bad"
	head -n "${STYLE_DIFF_LINES:-40}" <<< "$out"
	[ "$(wc -l <<< "$out")" -le "${STYLE_DIFF_LINES:-40}" ] || echo "[...]"
	if [ -n "$bad" ]; then
		echo "rustfmt: not formatted: $(wc -l <<< "$bad") of $(rs_files | wc -l) files (make fmt formats them)"
	else
		echo "rustfmt failed"
	fi
	return 1
}

cmd_clippy() {
	local dir=$DRVSIM_OUT/clippy log=$DRVSIM_OUT/clippy.log
	[ -n "${KDIR:-}" ] || KDIR=$("$S/kdir.sh")
	need "$CLIPPY_DRIVER"
	# A fresh copy every time: Kbuild would not recompile (nor lint) an
	# unchanged file, and the real build's objects stay as they are.
	rm -rf "$dir"
	mkdir -p "$dir"
	find Kbuild rust samples -type f \( -name Kbuild -o -name Makefile -o -name '*.rs' \
		-o \( -name '*.[ch]' ! -name '*.mod.c' \) \) -exec cp --parents -t "$dir" {} +
	if ! make -C "$KDIR" M="$dir" $(kmake_args) CLIPPY=1 CLIPPY_DRIVER="$CLIPPY_DRIVER" \
		-j"$(nproc)" modules > "$log" 2>&1; then
		grep -E '^error|: error' -A12 "$log" | sed "s|$dir/||g" | head -60
		echo "clippy: the module build failed (see $log)"
		return 1
	fi
	# rustc's diagnostics: "warning: MESSAGE", then "--> FILE:LINE:COL" and
	# the rest of the report up to a blank line. Keep those whose FILE is
	# drvsim's, with paths relative to the top of the tree, once each: the
	# samples compile some of rust/'s files too (as samples/../rust/).
	awk -v dir="$dir/" '
		function flush() {
			if (blk != "" && !((head, loc) in seen)) {
				seen[head, loc] = 1
				if (ours) {
					ours_n++; body = body blk "\n\n"
					k = lint != "" ? "clippy::" lint : substr(head, 10)
					kinds[k]++
					if (!(k in example)) example[k] = substr(head, 10)
				}
				else other++
			}
			blk = ""; ours = 0; head = ""; loc = ""; lint = ""
		}
		/^warning: [0-9]+ warnings? emitted/ { flush(); next }
		/^warning: / { flush(); blk = $0; head = $0; next }
		blk != "" && /^$/ { flush(); next }
		blk != "" {
			line = $0
			i = index(line, dir)
			if (i) line = substr(line, 1, i - 1) substr(line, i + length(dir))
			if (line ~ /^ *(-->|:::) /) gsub(/[A-Za-z0-9_-]+\/\.\.\//, "", line)
			if (loc == "" && line ~ /^ *--> /) {
				loc = line; sub(/^ *--> /, "", loc)
				if (loc ~ /^(rust|samples)\//) ours = 1
			}
			# clippy links each warning to its lint: ".../index.html#NAME".
			if (lint == "" && match(line, /index\.html#[a-z0-9_]+$/))
				lint = substr(line, RSTART + 11)
			blk = blk "\n" line
		}
		END {
			flush()
			if (ours_n == 0) {
				printf "clippy: no warnings in rust/ and samples/"
				if (other) printf " (%d elsewhere, ignored)", other
				print ""
				exit 0
			}
			print "clippy warnings by kind:"
			for (k in kinds)
				printf "%6d  %s%s\n", kinds[k], k, k == example[k] ? "" : " (" example[k] ")" | "sort -rn"
			close("sort -rn")
			print ""
			printf "%s", body
			printf "clippy: warnings in rust/ and samples/: %d (log: %s)\n", ours_n, logf
			exit 1
		}' logf="$log" "$log"
}

cmd_checkpatch() {
	local k files=() f accepted=$S/checkpatch-accepted.txt
	k=$(ksrc)
	for f in rust/*.[ch] samples/*.[ch] tests/tools/*.[ch] scripts/*.[ch]; do
		case "$f" in *.mod.c) continue ;; esac
		[ -f "$f" ] && files+=("$f")
	done
	# checkpatch exits non-zero on any finding; the accepted list decides.
	"$k/scripts/checkpatch.pl" --no-tree -f -q --show-types --no-summary --color=never \
		"${files[@]}" > "$DRVSIM_OUT/checkpatch.log" 2>&1 || true
	# A finding: "LEVEL:TYPE: message", "#N: FILE: file:line:", the source
	# line(s) ("+..."), a blank line.
	awk -v nfiles="${#files[@]}" '
		FNR == NR {
			if ($0 ~ /^[ \t]*(#|$)/) next
			if (NF < 4) { printf "%s:%d: entry without a reason: %s\n", accfile, FNR, $0; bad_list++; next }
			n++; afile[n] = $1; atype[n] = $2; are[n] = $3; aline[n] = FNR
			next
		}
		function flush(   i) {
			if (blk == "") return
			if (level == "WARNING") {
				for (i = 1; i <= n; i++)
					if (file == afile[i] && type == atype[i] && src ~ are[i]) { used[i] = 1; accepted++; blk = ""; return }
			}
			if (level == "ERROR") errors++; else warnings++
			body = body blk "\n\n"
			blk = ""
		}
		/^(ERROR|WARNING|CHECK):[A-Z0-9_]+:/ {
			flush()
			blk = $0; level = $0; sub(/:.*/, "", level)
			type = $0; sub(/^[A-Z]+:/, "", type); sub(/:.*/, "", type)
			file = ""; src = ""
			next
		}
		blk != "" && /^$/ { flush(); next }
		blk != "" {
			blk = blk "\n" $0
			if (file == "" && $0 ~ /^#[0-9]+: FILE: /) { file = $0; sub(/^#[0-9]+: FILE: /, "", file); sub(/:[0-9]+:$/, "", file) }
			else if (src == "" && substr($0, 1, 1) == "+") src = substr($0, 2)
			next
		}
		/^(total|NOTE):|has style problems|has no obvious style problems|^$/ { next }
		{ other = other $0 "\n" }
		END {
			flush()
			printf "%s", body
			if (other != "") printf "checkpatch printed:\n%s", other
			for (i = 1; i <= n; i++)
				if (!used[i]) printf "note: %s:%d matched no warning, it can go: %s %s %s\n", accfile, aline[i], afile[i], atype[i], are[i]
			printf "checkpatch: %d files, %d errors, %d warnings", nfiles, errors, warnings
			printf " (and %d accepted in %s)", accepted, accfile
			if (bad_list) printf "; %d entries there without a reason", bad_list
			print ""
			exit (errors || warnings || bad_list || other != "")
		}' accfile="${accepted#"$DRVSIM_ROOT"/}" "$accepted" "$DRVSIM_OUT/checkpatch.log"
}

# drvsim.ko's modules import each other without a circle
# (Documentation/drvsim.rst, "Files").
cmd_layers() {
	local out
	if out=$(python3 "$S/layers.py" rust 2>&1); then
		echo "layers: no import circle among $(wc -l <<< "$out") modules of rust/"
	else
		echo "$out" | grep '^circle:'
		echo "layers: modules of rust/ import each other in a circle"
		return 1
	fi
}

mkdir -p "$DRVSIM_OUT"
case "${1:-}" in
fmt) cmd_fmt ;;
fmt-check) cmd_fmt_check ;;
clippy) cmd_clippy ;;
checkpatch) cmd_checkpatch ;;
layers) cmd_layers ;;
*) usage ;;
esac
