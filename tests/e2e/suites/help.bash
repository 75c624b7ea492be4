# shellcheck shell=bash
# shellcheck disable=SC2154 # $tmp, $OUT, ... come from tests/e2e/lib.sh
# What a user reads: each tool's --help lists its own exit codes and has
# examples; a usage error is `tool: error: ...` with a did-you-mean and a
# hint, exit 2, priority <3> in the journal; the man pages have EXIT STATUS
# and EXAMPLES and fit 80 columns; the zsh and fish completions parse and
# complete; --print-config prints a TOML file that --config reads back to the
# same settings.
#
# Needs the build directory ($JQ_BUILD_DIR, which CTest passes) for the man
# pages and cmake --install, and Debian's man-db, zsh and fish. A missing
# tool skips its test, but under CI (CI=true) it fails it.

JQ_BUILD_DIR=${JQ_BUILD_DIR:-$(cd "$(dirname "$JQ_WORKER")/.." && pwd)}
source_dir=$(cd "$(dirname "$_jq_suite_file")/../../.." && pwd)
tools=(jq-submit jq-worker jq-inspect)

# The codes each tool can exit with (DESIGN.md section 4, exit_code.cpp).
declare -A exit_codes=(
  [jq-submit]="0 1 2 3 4 5 69 70 76 124 130 143"
  [jq-worker]="0 2 69 70 76"
  [jq-inspect]="0 1 2 3 10 11 69 70 76 130 143"
)

# The binary of TOOL.
bin_of() {
  case $1 in
    jq-submit) echo "$JQ_SUBMIT" ;;
    jq-worker) echo "$JQ_WORKER" ;;
    jq-inspect) echo "$JQ_INSPECT" ;;
  esac
}

# Are the tools there? Under CI a missing one fails the test; elsewhere the
# test is skipped (it says so). Returns 1 when the test cannot go on.
need_tools() {
  local tool missing=()
  for tool in "$@"; do
    if ! command -v "$tool" >/dev/null 2>&1; then
      missing+=("$tool")
    fi
  done
  if ((${#missing[@]} == 0)); then
    return 0
  fi
  if [[ ${CI:-} == true ]]; then
    fail "not found: ${missing[*]} (scripts/install-deps installs them)"
  else
    echo "SKIP    $_jq_suite: \"$_jq_test\": not found: ${missing[*]}" \
      "(scripts/install-deps installs them; under CI=true this fails)"
  fi
  return 1
}

# The lines of a --help text (stdin) from HEADING to the next blank line.
block_of() {
  awk -v heading="$1" '
    $0 == heading { inside = 1; next }
    inside && /^$/ { exit }
    inside { print }'
}

# The longest line of TEXT, in characters (man writes UTF-8 hyphens).
widest_line() {
  "$JQ_PYTHON" -c '
import sys
print(max((len(line) for line in sys.stdin.read().split("\n")), default=0))' \
    <<<"$1"
}

test_help_exit_codes() {
  local tool codes
  for tool in "${tools[@]}"; do
    expect_exit 0 "$(bin_of "$tool")" --help || continue
    expect_eq "$ERR" "" "$tool --help stderr"
    codes=$(block_of "Exit codes:" <<<"$OUT" | awk '/^  [0-9]/ { print $1 }' |
      tr '\n' ' ')
    expect_eq "${codes% }" "${exit_codes[$tool]}" "the exit codes in $tool --help"
    # The footer fits a terminal: a long meaning goes on under itself.
    expect_lt "$(widest_line "$(block_of "Exit codes:" <<<"$OUT")")" 80 \
      "the widest exit-code line of $tool --help"
  done
  expect_exit 0 "$JQ_INSPECT" --help
  local codes_text
  codes_text=$(block_of "Exit codes:" <<<"$OUT")
  expect_contains "$codes_text" "  10   health: no worker" "jq-inspect --help"
  expect_contains "$codes_text" "  11   health: the oldest waiting job" \
    "jq-inspect --help"
  expect_exit 0 "$JQ_WORKER" --help
  codes_text=$(block_of "Exit codes:" <<<"$OUT")
  expect_not_contains "$codes_text" "timed out waiting for the reply" \
    "jq-worker --help"
}
TEST "each tool's --help lists its own exit codes" test_help_exit_codes

test_help_examples() {
  local tool examples flag line word all_help sub
  for tool in "${tools[@]}"; do
    expect_exit 0 "$(bin_of "$tool")" --help || continue
    examples=$(block_of "Examples:" <<<"$OUT")
    expect_contains "$examples" "    \$ " "$tool --help examples" || continue
    # Every flag an example uses is one of the tool or its subcommands.
    all_help=$OUT
    local subs=()
    mapfile -t subs < <(awk '/^Subcommands:/ { inside = 1; next }
                             inside && /^  [a-z]/ { print $1 }
                             inside && !/^ / { inside = 0 }' <<<"$OUT")
    for sub in "${subs[@]}"; do
      all_help+=$'\n'$("$(bin_of "$tool")" "$sub" --help)
    done
    while IFS= read -r line; do
      [[ $line == "    \$ "* ]] || continue
      expect_contains "$line" "$tool " "an example of $tool"
      # Commands fit the man page's EXAMPLES (indented 11 of 80 columns).
      expect_lt "${#line}" 74 "the length of the example '$line'"
      for word in $line; do
        if [[ $word =~ ^(--[a-z][a-z-]*) ]]; then
          flag=${BASH_REMATCH[1]}
          expect_match "$all_help" "(^|[ ,])${flag}( |$)" \
            "$tool --help (the flag $flag of an example)"
        fi
      done
    done <<<"$examples"
  done
}
TEST "each tool's --help has examples that use its flags" test_help_examples

# Run BINARY ARGS..., expect exit 2, nothing on stdout and stderr of two
# lines: the error MESSAGE and the hint to HELP_COMMAND's --help.
expect_usage_error() {
  local message=$1 help_command=$2
  shift 2
  local tool
  tool=$(basename "$1")
  expect_exit 2 "$@"
  expect_eq "$OUT" "" "stdout of $*"
  expect_eq "$ERR" "$tool: error: $message"$'\n'"Try '$help_command --help'." \
    "stderr of $*"
}

test_parse_errors() {
  # A typo of a subcommand ("A subcommand is required" to CLI11).
  expect_usage_error "unknown subcommand 'lst'; did you mean 'list'?" \
    jq-inspect "$JQ_INSPECT" lst
  expect_usage_error "unknown subcommand 'helth'; did you mean 'health'?" \
    jq-inspect "$JQ_INSPECT" --queue mail helth --json
  expect_usage_error "unknown subcommand 'banana'" jq-inspect "$JQ_INSPECT" banana
  # A typo of a flag ("The following argument was not expected").
  expect_usage_error "unknown option '--stat'; did you mean '--state'?" \
    "jq-inspect list" "$JQ_INSPECT" list --stat failed
  expect_usage_error "unknown option '--formt'; did you mean '--format'?" \
    jq-submit "$JQ_SUBMIT" --db app --sql 'select 1' --formt json
  expect_usage_error "unknown option '--qeueu'; did you mean '--queue'?" \
    jq-submit "$JQ_SUBMIT" --qeueu=mail --db app --sql 'select 1'
  expect_usage_error \
    "unknown option '--concurency'; did you mean '--concurrency'?" \
    jq-worker "$JQ_WORKER" --db app="$TEST_DIR/app.sqlite" --concurency 4
  expect_usage_error "unknown option '--no-such-flag'" jq-submit \
    "$JQ_SUBMIT" --db app --sql 'select 1' --no-such-flag
  expect_usage_error "unexpected argument 'extra'" "jq-inspect counts" \
    "$JQ_INSPECT" counts extra
  # Nothing chosen: what there is to choose from.
  expect_usage_error \
    "a subcommand is required: queues, counts, list, show, watch, workers, health, retry, remove, clean, pause, resume, promote, metrics" \
    jq-inspect "$JQ_INSPECT"
  # CLI11's other errors keep its words, in our form.
  expect_usage_error "--state is required" "jq-inspect list" "$JQ_INSPECT" list
  expect_exit 2 "$JQ_WORKER" --db app="$TEST_DIR/app.sqlite" -c zero
  expect_match "$ERR" "^jq-worker: error: .*zero" "stderr of -c zero"
  expect_contains "$ERR" $'\n'"Try 'jq-worker --help'." "stderr of -c zero"
  expect_exit 2 "$JQ_SUBMIT" --db app --sql 'select 1' --timeout
  expect_match "$ERR" "^jq-submit: error: --timeout" "stderr of --timeout"
  expect_not_contains "$ERR" "Run with --help" "stderr of --timeout"
  # Errors after parsing are in the same form, with the same pointer.
  expect_exit 2 "$JQ_SUBMIT" --redis "$REDIS_URL" --db app --sql 'select 1' \
    --timeout banana
  expect_match "$ERR" "^jq-submit: error: " "stderr of --timeout banana"
  expect_contains "$ERR" $'\n'"Try 'jq-submit --help'." \
    "stderr of --timeout banana"
  expect_usage_error "--stdin writes JSON Lines: --format must be json" \
    jq-submit "$JQ_SUBMIT" --redis "$REDIS_URL" --stdin --format table
  # Nothing reached Redis.
  expect_eq "$(rcli keys '*')" "" "keys in Redis"
}
TEST "parse errors: tool: error:, did you mean, Try --help, exit 2" test_parse_errors

test_parse_errors_journal() {
  # No journald here: the "journal" is the stderr file that JOURNAL_STREAM
  # names by device and inode (run's 2> truncates it, same inode).
  local err=$TEST_DIR/run.err
  : >"$err"
  local stream
  stream=$(stat -L -c '%d:%i' "$err")
  expect_exit 2 env JOURNAL_STREAM="$stream" "$JQ_INSPECT" lst
  expect_eq "$ERR" "<3>jq-inspect: error: unknown subcommand 'lst'; did you mean 'list'?"$'\n'"<6>Try 'jq-inspect --help'." \
    "stderr in the journal"
  # Errors after parsing too (nothing listens on port 1).
  expect_exit 69 env JOURNAL_STREAM="$stream" "$JQ_SUBMIT" \
    --redis redis://127.0.0.1:1 --db app --sql 'select 1'
  expect_match "$ERR" "^<3>jq-submit: error: " "stderr in the journal"
  # A notice is <6> (info).
  expect_exit 0 env JOURNAL_STREAM="$stream" "$JQ_INSPECT" \
    --redis "$REDIS_URL" retry --all-failed --dry-run
  expect_match "$ERR" $'(^|\n)<6>jq-inspect: dry run' "a notice in the journal"
  # Elsewhere the lines are plain.
  expect_exit 2 "$JQ_INSPECT" lst
  expect_match "$ERR" "^jq-inspect: error: " "stderr outside the journal"
}
TEST "in the journal, a usage error is <3> and its hint <6>" test_parse_errors_journal

test_man_pages() {
  need_tools man gzip || return
  local tool page text section code examples
  for tool in "${tools[@]}"; do
    page=$JQ_BUILD_DIR/man/$tool.1.gz
    if [[ ! -f $page ]]; then
      fail "no man page $page (configure with -DJQ_MAN_PAGES=ON)"
      continue
    fi
    run env MANWIDTH=80 MANPAGER=cat PAGER=cat man --warnings -l "$page"
    expect_eq "$RC" 0 "man -l $tool.1.gz exit status"
    expect_eq "$ERR" "" "groff warnings for $tool.1.gz"
    text=$OUT
    for section in "EXIT STATUS" EXAMPLES CONFIGURATION; do
      expect_match "$text" $'(^|\n)'"$section"$'\n' "$tool man page sections"
    done
    expect_lt "$(widest_line "$text")" 81 "the widest line of $tool(1)"
    # EXIT STATUS: the codes of --help, each a paragraph of its own.
    section=$(awk '/^EXIT STATUS$/ { inside = 1; next }
                   inside && /^[A-Z]/ { exit }
                   inside && /^       [0-9]/ { print $1 }' <<<"$text" |
      tr '\n' ' ')
    expect_eq "${section% }" "${exit_codes[$tool]}" "EXIT STATUS of $tool(1)"
    # EXAMPLES: each command on a line of its own, whole.
    examples=$(awk '/^EXAMPLES$/ { inside = 1; next }
                    inside && /^[A-Z]/ { exit }
                    inside { print }' <<<"$text")
    local want
    want=$("$(bin_of "$tool")" --help | block_of "Examples:" |
      sed -n 's/^    \$ //p')
    while IFS= read -r code; do
      expect_contains "$examples"$'\n' "\$ $code"$'\n' "EXAMPLES of $tool(1)"
    done <<<"$want"
  done
  # jq-inspect's subcommands, filled to the width, with their own flags
  # and the exit codes of health.
  expect_contains "$text" "   jq-inspect health" "jq-inspect(1)"
  expect_match "$text" $'\n       --max-wait-age TEXT=5m\n' "jq-inspect(1)"
  expect_match "$text" $'\n       10 +no +worker +connected' "jq-inspect(1)"
}
TEST "man pages: EXIT STATUS and EXAMPLES, no line over 80 columns" test_man_pages

# The completion scripts, installed (DESTDIR) once, in $installed.
installed=
need_install() {
  if [[ -n $installed ]]; then
    return 0
  fi
  need_tools cmake || return
  run env DESTDIR="$tmp/dest" cmake --install "$JQ_BUILD_DIR" --prefix /usr
  if [[ $RC != 0 ]]; then
    fail "cmake --install exited $RC" "$(_jq_excerpt stderr "$ERR")"
    return 1
  fi
  installed=$tmp/dest/usr/share
}

test_completion_files() {
  need_install || return
  local tool
  for tool in "${tools[@]}"; do
    expect_eq "$(cmp "$source_dir/packaging/zsh-completion/_jq-queue" \
      "$installed/zsh/vendor-completions/_$tool" && echo same)" same \
      "zsh completion of $tool"
    expect_eq "$(cmp "$source_dir/packaging/fish-completion/jq-queue.fish" \
      "$installed/fish/vendor_completions.d/$tool.fish" && echo same)" same \
      "fish completion of $tool"
  done
}
TEST "zsh and fish completions are installed where Debian's shells look" test_completion_files

test_zsh_completion() {
  need_tools zsh || return
  local script=$source_dir/packaging/zsh-completion/_jq-queue
  expect_exit 0 zsh -n "$script"
  expect_eq "$ERR" "" "zsh -n"
  # The completion function run as on a <TAB>, with the completion
  # system's functions replaced by ones that print what they are given.
  # shellcheck disable=SC2016 # expanded by zsh
  local harness='
_call_program() { shift; eval "$@"; }
_describe() { print -r -- "describe $3:"; print -rl -- ${(P)4}; }
_values() { shift; print -r -- "values:" "$@"; } # (after the description)
_files() { print -r -- files; }
_message() { print -r -- "message: $3"; }
t() {
  local -a words; words=("$@"); local CURRENT=$# PREFIX=${@[-1]}
  print -r -- "== $*"
  source '"'$script'"'
}
t jq-inspect ""
t jq-inspect li
t jq-inspect --queue q list --st
t jq-inspect list --state ""
t jq-worker --conc
t jq-worker --log-format ""
t jq-submit --config ""
t jq-submit --timeout ""
'
  run env PATH="$(dirname "$JQ_INSPECT"):$PATH" zsh -f -c "$harness"
  expect_eq "$RC" 0 "the zsh completion's exit status"
  expect_eq "$ERR" "" "the zsh completion's stderr"
  local want
  while IFS= read -r want; do
    expect_contains "$OUT"$'\n' "$want"$'\n' "zsh completions"
  done <<'EOF'
describe subcommand:
list:One page of a state's jobs: waiting, paused, active, delayed oldest (next) first; completed, failed newest first (as Bull's getJobs)
health:Exit 0 when Redis answers, a worker is connected and the oldest waiting job is younger than --max-wait-age; a distinct code otherwise
describe option:
-s:waiting (or wait), active, delayed, paused, completed or failed
--state:waiting (or wait), active, delayed, paused, completed or failed
-n:Jobs on the page
--limit:Jobs on the page
values: waiting active delayed paused completed failed
--concurrency:Jobs at a time
values: text json
files
message: value of --timeout
EOF
  # Only the subcommand's flags once it is typed.
  expect_not_contains "$(sed -n '/^== jq-inspect --queue q list --st$/,/^==/p' \
    <<<"$OUT")" "--prefix:" "the flags of jq-inspect list"
}
TEST "zsh completion: zsh -n, subcommands and flags of each tool" test_zsh_completion

test_fish_completion() {
  need_tools fish || return
  local script=$source_dir/packaging/fish-completion/jq-queue.fish
  expect_exit 0 fish --no-execute "$script"
  expect_eq "$ERR" "" "fish -n"
  # Each copy completes the tool it is named after.
  mkdir -p "$TEST_DIR/fish"
  local tool
  for tool in "${tools[@]}"; do
    cp "$script" "$TEST_DIR/fish/$tool.fish"
  done
  # shellcheck disable=SC2016 # expanded by fish
  local harness='
for tool in jq-submit jq-worker jq-inspect
    source $dir/$tool.fish
end
complete -C"jq-inspect " | string match -r "^[a-z]+" | string join " "
for line in "jq-inspect li" "jq-inspect --queue q list --st" \
        "jq-inspect list --state f" "jq-worker --conc" "jq-worker --log-format " \
        "jq-submit --format t" "jq-submit --timeout "
    echo "== $line"
    complete -C"$line"
end
'
  run env PATH="$(dirname "$JQ_INSPECT"):$PATH" dir="$TEST_DIR/fish" \
    fish --no-config -c "$harness"
  expect_eq "$RC" 0 "the fish completion's exit status"
  expect_eq "$ERR" "" "the fish completion's stderr"
  local want tab=$'\t'
  while IFS= read -r want; do
    expect_contains "$OUT"$'\n' "$want"$'\n' "fish completions"
  done <<EOF
queues counts list show watch workers health retry remove clean pause resume promote metrics
== jq-inspect li
list${tab}One page of a state's jobs: waiting, paused, active, delayed oldest (next) first; completed, failed newest first (as Bull's getJobs)
== jq-inspect --queue q list --st
--state${tab}waiting (or wait), active, delayed, paused, completed or failed
== jq-inspect list --state f
failed
== jq-worker --conc
--concurrency${tab}Jobs at a time
== jq-worker --log-format 
text
json
== jq-submit --format t
table
tsv
== jq-submit --timeout 
EOF
}
TEST "fish completion: fish -n, subcommands and flags of each tool" test_fish_completion

# Print the settings of a --print-config text (stdin) as sorted JSON, read
# with Python's TOML parser: what a TOML reader sees.
toml_settings() {
  "$JQ_PYTHON" -c '
import json, sys, tomllib
print(json.dumps(tomllib.loads(sys.stdin.read()), sort_keys=True))'
}

# STRING as a JSON string.
json_string() {
  "$JQ_PYTHON" -c 'import json, sys; print(json.dumps(sys.argv[1]))' "$1"
}

test_print_config_round_trip() {
  local tool args first second parsed
  local odd='say "hi" \ it'"'"'s # not a comment'
  for tool in "${tools[@]}"; do
    args=(--queue 007 --prefix "$odd" --print-config)
    case $tool in
      jq-worker) args+=(--db "app=$TEST_DIR/a \"b\" \\c.sqlite" --db "n=00" -c 3) ;;
      jq-submit) args+=(--db 0042 --sql "select '\\n', \"x\" -- # no") ;;
    esac
    expect_exit 0 "$(bin_of "$tool")" "${args[@]}" || continue
    first=$OUT
    # Valid TOML, with the values as given.
    if ! parsed=$(toml_settings <<<"$first"); then
      fail "$tool --print-config is not TOML" \
        "$(_jq_excerpt "$tool --print-config" "$first")"
      continue
    fi
    expect_json "$parsed" 'd["queue"]' '"007"'
    expect_json "$parsed" 'd["prefix"]' "$(json_string "$odd")"
    case $tool in
      jq-worker)
        expect_json "$parsed" 'd["db"]' \
          "[$(json_string "app=$TEST_DIR/a \"b\" \\c.sqlite"), \"n=00\"]"
        expect_json "$parsed" 'd["concurrency"]' 3
        ;;
      jq-submit)
        expect_json "$parsed" 'd["db"]' '"0042"'
        expect_json "$parsed" 'd["sql"]' \
          "$(json_string "select '\\n', \"x\" -- # no")"
        ;;
    esac
    printf '%s\n' "$first" >"$TEST_DIR/$tool.toml"
    # Read back, the same settings (from the file now).
    expect_exit 0 "$(bin_of "$tool")" --config "$TEST_DIR/$tool.toml" \
      --print-config || continue
    second=$OUT
    expect_contains "$second" 'queue = "007"  # config file' "$tool, read back"
    expect_eq "$(toml_settings <<<"$second")" "$parsed" \
      "$tool --print-config, read back"
  done
}
TEST "--print-config is TOML that --config reads back to the same settings" test_print_config_round_trip
