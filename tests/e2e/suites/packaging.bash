# shellcheck shell=bash
# shellcheck disable=SC2154 # $tmp, $OUT, ... come from tests/e2e/lib.sh
# Run it like a service: the .deb (CPack) and `make install` (a DESTDIR
# install) give binaries that run where they were unpacked and find libjq
# through their relative rpath; the man pages render; systemd accepts the
# unit; bash completes subcommands and flags; settings come from a config
# file under the environment and the flags; the worker logs JSON lines.
#
# lintian finds no error and no warning in the .deb.
#
# Needs the build directory ($JQ_BUILD_DIR, which CTest passes) for cpack
# and cmake --install, and Debian's dpkg-dev, lintian, man-db, systemd (for
# systemd-analyze) and bash-completion. A missing tool skips its test, but
# under CI (CI=true) it fails it.

JQ_BUILD_DIR=${JQ_BUILD_DIR:-$(cd "$(dirname "$JQ_WORKER")/.." && pwd)}
# The package, unpacked once for the tests that need it (see need_root).
deb=
root=

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

# Build the .deb with cpack into $tmp/deb once; set $deb and $root (where it
# is unpacked with dpkg -x).
need_root() {
  if [[ -n $root ]]; then
    return 0
  fi
  need_tools cpack dpkg-deb dpkg-shlibdeps || return
  if [[ ! -f $JQ_BUILD_DIR/CPackConfig.cmake ]]; then
    fail "no $JQ_BUILD_DIR/CPackConfig.cmake (set JQ_BUILD_DIR)"
    return 1
  fi
  run cpack --config "$JQ_BUILD_DIR/CPackConfig.cmake" -B "$tmp/deb"
  if [[ $RC != 0 ]]; then
    fail "cpack exited $RC" "$(_jq_excerpt stdout "$OUT")" \
      "$(_jq_excerpt stderr "$ERR")"
    return 1
  fi
  local debs=("$tmp"/deb/jq-queue_*.deb)
  if [[ ${#debs[@]} != 1 || ! -f ${debs[0]} ]]; then
    fail "cpack made no single jq-queue_*.deb in $tmp/deb" \
      "$(_jq_excerpt files "$(ls -la "$tmp/deb")")"
    return 1
  fi
  if ! dpkg-deb -x "${debs[0]}" "$tmp/root"; then
    fail "dpkg-deb -x ${debs[0]} failed"
    return 1
  fi
  deb=${debs[0]}
  root=$tmp/root
}

# The files and links under DIR, relative to it, sorted.
tree_of() {
  (cd "$1" && find . \( -type f -o -type l \) | sort)
}

# Are jq-submit and jq-inspect linked statically against libjq, libstdc++
# and fmt (JQ_STATIC_TOOLS, off under sanitizers)?
static_tools() {
  local cache=$JQ_BUILD_DIR/CMakeCache.txt
  grep -q '^JQ_STATIC_TOOLS:BOOL=ON$' "$cache" &&
    ! grep -qE '^JQ_ENABLE_(ASAN|UBSAN|TSAN):BOOL=ON$' "$cache"
}

# Check the three tools under BINDIR: --version and --help run, and libjq
# resolves to LIBDIR (through the rpath: nothing else points there); the
# one-shot tools, when linked statically, load neither libjq nor libstdc++.
expect_tools_run() {
  local bindir=$1 libdir=$2 tool
  for tool in jq-submit jq-worker jq-inspect; do
    expect_exit 0 env -u LD_LIBRARY_PATH "$bindir/$tool" --version
    expect_eq "$OUT" "$tool 0.1.0" "$tool --version"
    expect_exit 0 env -u LD_LIBRARY_PATH "$bindir/$tool" --help
    expect_contains "$OUT" "Exit codes:" "$tool --help"
    expect_contains "$OUT" "--config" "$tool --help"
    run ldd "$bindir/$tool"
    expect_not_contains "$OUT" "not found" "ldd $tool"
    if [[ $tool != jq-worker ]] && static_tools; then
      expect_not_contains "$OUT" "libjq.so" "ldd $tool"
      expect_not_contains "$OUT" "libstdc++" "ldd $tool"
      expect_not_contains "$OUT" "libfmt" "ldd $tool"
    else
      expect_match "$OUT" "libjq\.so\.0 => $libdir/libjq\.so\.0 " "ldd $tool"
    fi
    # The server engines' client libraries are the modules' only.
    expect_not_contains "$OUT" "libpq" "ldd $tool"
    expect_not_contains "$OUT" "libmariadb" "ldd $tool"
  done
  expect_engines_load "$bindir" "$libdir"
}

# jq-worker under BINDIR loads the server engines' modules from LIBDIR,
# beside libjq, when a --db names such a server: a server that is down only
# warns, then the unreachable Redis ends the worker (69).
expect_engines_load() {
  local bindir=$1 libdir=$2 port
  port=$(jq_free_port)
  expect_exit 69 env -u LD_LIBRARY_PATH LD_DEBUG=files "$bindir/jq-worker" \
    --redis "redis://127.0.0.1:$port" \
    --db pg="postgresql://jq@127.0.0.1:$port/jq" \
    --db my="mysql://jq@127.0.0.1:$port/jq"
  local module
  for module in libjq-postgres.so libjq-mysql.so; do
    expect_contains "$ERR" "file=$libdir/$module " "jq-worker's loads (LD_DEBUG)"
  done
  expect_contains "$ERR" "cannot connect to database pg " "jq-worker stderr"
  expect_contains "$ERR" "cannot connect to database my " "jq-worker stderr"
}

test_deb() {
  need_root || return
  run dpkg-deb -f "$deb" Package Version Architecture Depends Maintainer
  expect_contains "$OUT" "Package: jq-queue" control
  expect_contains "$OUT" "Version: 0.1.0-" control
  expect_match "$OUT" $'(^|\n)Maintainer: [^<\n]+ <[^@>]+@[^>]+>(\n|$)' control
  expect_not_contains "$OUT" "localhost" control
  # What dpkg-shlibdeps finds: SQLiteCpp is linked statically in Debian 12,
  # libjq is in the package, libpq5 and libmariadb3 come from the engine
  # modules.
  local depends dep
  depends=$(dpkg-deb -f "$deb" Depends | tr ',' '\n' | awk '{ print $1 }')
  for dep in libc6 libfmt9 libhiredis0.14 libmariadb3 libpq5 libsqlite3-0 \
    libstdc++6 libutf8proc2; do
    expect_contains "$depends"$'\n' "$dep"$'\n' "the packages in Depends"
  done
  expect_not_contains "$depends" libjq "the packages in Depends"

  run dpkg-deb -c "$deb"
  local path
  for path in ./usr/bin/jq-submit ./usr/bin/jq-worker ./usr/bin/jq-inspect \
    ./usr/lib/jq-queue/libjq.so.0 ./usr/lib/jq-queue/libjq-postgres.so \
    ./usr/lib/jq-queue/libjq-mysql.so \
    ./usr/lib/systemd/system/jq-worker.service \
    ./usr/share/man/man1/jq-worker.1.gz \
    ./usr/share/bash-completion/completions/jq-inspect \
    ./usr/share/doc/jq-queue/examples/worker.toml \
    ./usr/share/doc/jq-queue/changelog.Debian.gz \
    ./usr/share/doc/jq-queue/copyright; do
    expect_contains "$OUT" " $path" "the package's files"
  done
  # Nothing that Debian's jq or libjq-dev own, no headers, no libjq.so link.
  expect_not_contains "$OUT" "./usr/bin/jq " "the package's files"
  expect_not_contains "$OUT" "/include/" "the package's files"
  expect_not_contains "$OUT" "libjq.so " "the package's files"

  run dpkg-deb -e "$deb" "$TEST_DIR/control"
  local script
  for script in postinst prerm postrm; do
    expect_exit 0 sh -n "$TEST_DIR/control/$script"
  done

  # The changelog's top entry is the package's version (a new version
  # needs its entry in packaging/deb/changelog.in).
  local version top
  version=$(dpkg-deb -f "$deb" Version)
  top=$(gzip -dc "$root/usr/share/doc/jq-queue/changelog.Debian.gz" | head -n 1)
  expect_match "$top" "^jq-queue \(${version//./\\.}\) " \
    "the changelog's top entry (packaging/deb/changelog.in)"
}
TEST "cpack builds jq-queue_*.deb with Depends from dpkg-shlibdeps" test_deb

test_lintian() {
  need_tools lintian || return
  need_root || return
  # A sanitizer build's package is not one to ship (nor stripped of what
  # the sanitizers add, nor fortified): lintian judges release builds.
  if [[ -n $JQ_E2E_SANITIZED ]]; then
    echo "SKIP    $_jq_suite: \"$_jq_test\": a sanitizer build's .deb"
    return
  fi
  # Errors and warnings (with --info, what each tag means) fail the test:
  # its exit status (--fail-on), and the E:/W: lines themselves.
  run lintian --info --fail-on error,warning "$deb"
  local found
  found=$(grep -E '^[EW]: ' <<<"$OUT")
  if [[ $RC != 0 || -n $found ]]; then
    fail "lintian exited $RC on ${deb##*/}" "    lintian's output:" \
      "      | ${OUT//$'\n'/$'\n'      | }" \
      "$(_jq_excerpt stderr "$ERR")"
  fi
}
TEST "lintian finds no error and no warning in the .deb" test_lintian

test_deb_runs() {
  need_root || return
  expect_tools_run "$root/usr/bin" "$root/usr/bin/../lib/jq-queue"
  # The unpacked tools do a round trip through the suite's Redis.
  JQ_WORKER=$root/usr/bin/jq-worker start_worker --db app="$TEST_DIR/app.sqlite" \
    || return
  expect_exit 0 "$root/usr/bin/jq-submit" --redis "$REDIS_URL" --db app \
    --sql 'select 40 + 2' --format value
  expect_eq "$OUT" 42 "reply through the unpacked tools"
  expect_exit 0 "$root/usr/bin/jq-inspect" --redis "$REDIS_URL" counts --json
  expect_json "$OUT" 'd["completed"]' 1
}
TEST "dpkg -x: the tools run where unpacked (jq-worker finds libjq by rpath)" test_deb_runs

test_install() {
  need_tools cmake || return
  need_root || return
  local dest=$TEST_DIR/dest
  run env DESTDIR="$dest" cmake --install "$JQ_BUILD_DIR" --prefix /usr
  expect_eq "$RC" 0 "cmake --install exit status" || return
  # `make install` lays out the same files as the package.
  expect_eq "$(tree_of "$dest")" "$(tree_of "$root")" "files installed vs packaged"
  expect_tools_run "$dest/usr/bin" "$dest/usr/bin/../lib/jq-queue"

  # Without its module, a server's --db is a usage error that says so.
  rm "$dest/usr/lib/jq-queue/libjq-postgres.so"
  expect_exit 2 env -u LD_LIBRARY_PATH "$dest/usr/bin/jq-worker" \
    --db pg=postgresql://jq@127.0.0.1/jq
  expect_contains "$ERR" "jq-worker: error: database pg: PostgreSQL support is not installed (cannot load $dest/usr/bin/../lib/jq-queue/libjq-postgres.so: " \
    "jq-worker stderr"

  # Another prefix: the unit names the binary where it is installed.
  local opt=$TEST_DIR/opt
  run env DESTDIR="$opt" cmake --install "$JQ_BUILD_DIR" --prefix /opt/jq
  expect_eq "$RC" 0 "cmake --install --prefix /opt/jq exit status" || return
  expect_file_contains "$opt/opt/jq/lib/systemd/system/jq-worker.service" \
    "ExecStart=/opt/jq/bin/jq-worker "
  expect_tools_run "$opt/opt/jq/bin" "$opt/opt/jq/bin/../lib/jq-queue"
}
TEST "make install (DESTDIR): the package's layout, and any prefix works" test_install

test_man_pages() {
  need_tools man gzip || return
  need_root || return
  local tool page
  for tool in jq-submit jq-worker jq-inspect; do
    page=$root/usr/share/man/man1/$tool.1.gz
    if [[ ! -f $page ]]; then
      fail "no man page $page"
      continue
    fi
    run env MANWIDTH=80 MANPAGER=cat PAGER=cat man --warnings -l "$page"
    expect_eq "$RC" 0 "man -l $tool.1.gz exit status"
    expect_eq "$ERR" "" "groff warnings for $tool.1.gz"
    expect_match "$OUT" "^${tool^^}\(1\)" "$tool man page header"
    local section
    for section in NAME SYNOPSIS DESCRIPTION OPTIONS CONFIGURATION \
      ENVIRONMENT "SEE ALSO"; do
      expect_match "$OUT" $'(^|\n)'"$section"$'\n' "$tool man page sections"
    done
    expect_contains "$OUT" "--print-config" "$tool man page"
    expect_contains "$OUT" "JQ_REDIS_URL" "$tool man page"
  done
  # Each subcommand of jq-inspect, with its own flags.
  expect_contains "$OUT" "jq-inspect clean" "jq-inspect man page"
  expect_contains "$OUT" "--grace" "jq-inspect man page"
  run env MANWIDTH=80 MANPAGER=cat man -l "$root/usr/share/man/man1/jq-worker.1.gz"
  expect_contains "$OUT" "--log-format" "jq-worker man page"
  expect_contains "$OUT" "/etc/jq/worker.toml" "jq-worker man page"
}
TEST "man -l renders each man page, no groff warning" test_man_pages

test_systemd_unit() {
  need_tools systemd-analyze man || return
  need_root || return
  local unit=$root/usr/lib/systemd/system/jq-worker.service
  local text
  text=$(<"$unit")
  local setting
  for setting in "ExecStart=/usr/bin/jq-worker --config %d/worker.toml" \
    "LoadCredential=worker.toml:/etc/jq/worker.toml" \
    Restart=on-failure KillSignal=SIGTERM DynamicUser=yes \
    StateDirectory=jq ReadWritePaths=/var/lib/jq ProtectSystem=strict \
    NoNewPrivileges=yes PrivateTmp=yes ProtectHome=yes \
    "CapabilityBoundingSet="$'\n'; do
    expect_contains "$text" "$setting" "the unit"
  done
  # Stopping must outlast the worker's --grace (its default, or the
  # example config's).
  local stop grace example_grace
  stop=$(sed -n 's/^TimeoutStopSec=\([0-9]*\)s$/\1/p' "$unit")
  grace=$("$JQ_WORKER" --print-config | sed -n 's/^grace = "\([0-9]*\)s".*/\1/p')
  example_grace=$(sed -n 's/^grace = "\([0-9]*\)s"$/\1/p' \
    "$root/usr/share/doc/jq-queue/examples/worker.toml")
  expect_lt "$grace" "$stop" "--grace default vs TimeoutStopSec (s)"
  expect_lt "$example_grace" "$stop" "the example's grace vs TimeoutStopSec (s)"
  # The ExecStart binary is there, in the package.
  expect_eq "$(sed -n 's/^ExecStart=\([^ ]*\) .*/\1/p' "$unit")" \
    /usr/bin/jq-worker "ExecStart's binary"

  # systemd-analyze checks that ExecStart's binary exists, and (with MANPATH)
  # that Documentation=man:jq-worker(1) is found: verify a copy that names
  # the unpacked binary.
  mkdir -p "$TEST_DIR/units"
  sed "s|^ExecStart=/usr/bin/jq-worker|ExecStart=$root/usr/bin/jq-worker|" \
    "$unit" >"$TEST_DIR/units/jq-worker.service"
  run env MANPATH="$root/usr/share/man" systemd-analyze verify \
    "$TEST_DIR/units/jq-worker.service"
  expect_eq "$RC" 0 "systemd-analyze verify exit status"
  expect_eq "$ERR$OUT" "" "systemd-analyze verify output"

  # The check has teeth: a misspelt key is reported.
  sed 's/^Restart=/Restartt=/' "$TEST_DIR/units/jq-worker.service" \
    >"$TEST_DIR/units/jq-broken.service"
  run env MANPATH="$root/usr/share/man" systemd-analyze verify \
    "$TEST_DIR/units/jq-broken.service"
  expect_contains "$ERR" "Unknown key 'Restartt'" "systemd-analyze on a broken unit"

  # The example config is one jq-worker reads.
  expect_exit 0 "$JQ_WORKER" --config \
    "$root/usr/share/doc/jq-queue/examples/worker.toml" --print-config
  expect_contains "$OUT" 'db = ["app=/var/lib/jq/app.sqlite"]  # config file' \
    "the example config"
}
TEST "systemd-analyze verify accepts the unit; stop outlasts --grace" test_systemd_unit

test_completion() {
  need_root || return
  local completions=$root/usr/share/bash-completion/completions
  if [[ ! -f /usr/share/bash-completion/bash_completion ]]; then
    need_tools bash-completion-is-not-installed || return
  fi
  # bash-completion's own loader finds the installed script by the tool's
  # name; then the completion function runs as on a <TAB>.
  # shellcheck disable=SC2016 # expanded by the inner bash
  local script='
source /usr/share/bash-completion/bash_completion
# (It returns 124, "try again", once it has loaded a completion.)
_completion_loader jq-inspect
complete -p jq-inspect jq-worker jq-submit | sed "s/^/complete: /"
t() {
  COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=()
  _jq_queue
  printf "%s|%s\n" "$*" "${COMPREPLY[*]}"
}
t jq-inspect ""
t jq-inspect c
t jq-inspect --queue counts list --st
t jq-inspect list --state f
t jq-inspect clean --
t jq-worker --conc
t jq-worker --log-format ""
t jq-submit --for
t jq-submit --format t
'
  run env PATH="$root/usr/bin:$PATH" XDG_DATA_DIRS="$root/usr/share" \
    bash -c "$script"
  expect_eq "$RC" 0 "completion script exit status" || return
  expect_eq "$ERR" "" "completion stderr"
  local want
  while IFS= read -r want; do
    expect_contains "$OUT"$'\n' "$want"$'\n' "completions"
  done <<'EOF'
complete: complete -F _jq_queue jq-inspect
complete: complete -F _jq_queue jq-worker
jq-inspect |queues counts list show watch workers health retry remove clean pause resume promote metrics
jq-inspect c|counts clean
jq-inspect --queue counts list --st|--state
jq-inspect list --state f|failed
jq-inspect clean --|--help --state --grace --limit --dry-run --json
jq-worker --conc|--concurrency
jq-worker --log-format |text json
jq-submit --for|--format
jq-submit --format t|table tsv
EOF
  expect_eq "$(cmp "$completions/jq-inspect" "$completions/jq-worker" && echo same)" \
    same "the completion scripts of jq-inspect and jq-worker"
}
TEST "bash completion: subcommands and flags of each tool" test_completion

test_config_layers() {
  local config=$TEST_DIR/worker.toml
  cat >"$config" <<EOF
# A password with a '#': quoted, it is not a comment.
redis = "redis://app:s3cr#t@127.0.0.1:6390/2"  # the primary
queue = "from-file"
prefix = "pfx"
db = ["app=$TEST_DIR/app.sqlite", "ref=$TEST_DIR/ref.sqlite:ro"]
concurrency = 3
grace = "20s"
EOF
  expect_exit 0 "$JQ_WORKER" --config "$config" --print-config
  expect_not_contains "$OUT" "s3cr" "--print-config"
  expect_contains "$OUT" 'redis = "redis://app:***@127.0.0.1:6390/2"  # config file' \
    "--print-config"
  expect_contains "$OUT" 'queue = "from-file"  # config file' "--print-config"
  expect_contains "$OUT" "db = [\"app=$TEST_DIR/app.sqlite\", \"ref=$TEST_DIR/ref.sqlite:ro\"]  # config file" \
    "--print-config"
  expect_contains "$OUT" 'concurrency = 3  # config file' "--print-config"
  expect_contains "$OUT" 'max-stalled = 1  # default' "--print-config"

  # The environment beats the file ...
  expect_exit 0 env JQ_QUEUE=from-env JQ_REDIS_URL=redis://:envpass@10.1.1.1:7000 \
    "$JQ_WORKER" --config "$config" --print-config
  expect_contains "$OUT" 'queue = "from-env"  # environment JQ_QUEUE' "--print-config"
  expect_contains "$OUT" 'redis = "redis://:***@10.1.1.1:7000/0"  # environment JQ_REDIS_URL' \
    "--print-config"
  expect_contains "$OUT" 'prefix = "pfx"  # config file' "--print-config"
  expect_not_contains "$OUT" "envpass" "--print-config"

  # ... and a flag beats both.
  expect_exit 0 env JQ_QUEUE=from-env "$JQ_WORKER" --config "$config" \
    -q from-flag -c 5 --print-config
  expect_contains "$OUT" 'queue = "from-flag"  # flag' "--print-config"
  expect_contains "$OUT" 'concurrency = 5  # flag' "--print-config"
  expect_contains "$OUT" 'grace = "20s"  # config file' "--print-config"

  # What it prints is a config file: read back, it gives the same settings.
  expect_exit 0 "$JQ_WORKER" --config "$config" --print-config
  printf '%s\n' "$OUT" >"$TEST_DIR/again.toml"
  expect_exit 0 "$JQ_WORKER" --config "$TEST_DIR/again.toml" --print-config
  expect_contains "$OUT" 'concurrency = 3  # config file' "--print-config, read back"

  # Mistakes are usage errors.
  printf 'concurency = 3\n' >"$TEST_DIR/typo.toml"
  expect_exit 2 "$JQ_WORKER" --config "$TEST_DIR/typo.toml" --db a="$TEST_DIR/a.sqlite"
  expect_contains "$ERR" "unknown setting 'concurency'" stderr
  expect_exit 2 "$JQ_WORKER" --config "$TEST_DIR/missing.toml" --db a="$TEST_DIR/a.sqlite"
  printf 'concurrency = 0\n' >"$TEST_DIR/range.toml"
  expect_exit 2 "$JQ_WORKER" --config "$TEST_DIR/range.toml" --db a="$TEST_DIR/a.sqlite"
  expect_exit 2 "$JQ_WORKER" --config "$TEST_DIR/range.toml"

  # jq-submit and jq-inspect read theirs too.
  printf 'queue = "jobs"\nformat = "json"\n' >"$TEST_DIR/submit.toml"
  expect_exit 0 "$JQ_SUBMIT" --config "$TEST_DIR/submit.toml" --print-config
  expect_contains "$OUT" 'format = "json"  # config file' "jq-submit --print-config"
  printf 'queue = "jobs"\n' >"$TEST_DIR/inspect.toml"
  expect_exit 0 "$JQ_INSPECT" --config "$TEST_DIR/inspect.toml" --print-config
  expect_contains "$OUT" 'queue = "jobs"  # config file' "jq-inspect --print-config"

  # A worker configured by the file alone serves its queue.
  cat >"$TEST_DIR/live.toml" <<EOF
redis = "$REDIS_URL"
queue = "from-file"
db = ["app=$TEST_DIR/app.sqlite"]
EOF
  run_bg live "$JQ_WORKER" --config "$TEST_DIR/live.toml"
  expect_exit 0 submit -q from-file --db app --sql 'select 7' --format value
  expect_eq "$OUT" 7 "reply from the worker configured by file"
  expect_exit 0 "$JQ_INSPECT" --config "$TEST_DIR/live.toml" counts --json
  expect_json "$OUT" 'd["completed"]' 1
}
TEST "config file < environment < flag; --print-config redacts the password" test_config_layers

test_config_shared() {
  # One file for the three tools: what they share on top, the rest in a
  # table per tool (each skips the others').
  local config=$TEST_DIR/jq.toml
  cat >"$config" <<EOF
# Shared by the three tools.
redis = "$REDIS_URL"
queue = "shared"

[jq-worker]
db = [
  "app=$TEST_DIR/app.sqlite",  # the jobs' database
]
concurrency = 2
quiet = true

[jq-submit]
db = "app"
format = "value"
timeout = "20s"
EOF
  expect_exit 0 "$JQ_WORKER" --config "$config" --print-config
  expect_contains "$OUT" 'queue = "shared"  # config file' "jq-worker --print-config"
  expect_contains "$OUT" "db = [\"app=$TEST_DIR/app.sqlite\"]  # config file" \
    "jq-worker --print-config"
  expect_contains "$OUT" 'concurrency = 2  # config file' "jq-worker --print-config"
  expect_contains "$OUT" 'quiet = true  # config file' "jq-worker --print-config"
  expect_exit 0 "$JQ_SUBMIT" --config "$config" --print-config
  expect_contains "$OUT" 'queue = "shared"  # config file' "jq-submit --print-config"
  expect_contains "$OUT" 'db = "app"  # config file' "jq-submit --print-config"
  expect_contains "$OUT" 'format = "value"  # config file' "jq-submit --print-config"

  run_bg shared "$JQ_WORKER" --config "$config"
  expect_exit 0 "$JQ_SUBMIT" --config "$config" --sql 'select 8'
  expect_eq "$OUT" 8 "reply to jq-submit configured by the shared file"
  expect_exit 0 "$JQ_INSPECT" --config "$config" counts --json
  expect_json "$OUT" 'd["completed"]' 1

  # Mistakes name the file, line and column.
  printf 'queue = "q"\n\n[jq-worker]\ndb = ["a=/a"]\nconcurency = 3\n' \
    >"$TEST_DIR/typo.toml"
  expect_exit 2 "$JQ_WORKER" --config "$TEST_DIR/typo.toml"
  expect_contains "$ERR" \
    "$TEST_DIR/typo.toml:5:1: unknown setting 'concurency' for jq-worker" stderr
  # ... and the worker's table is no business of jq-submit.
  expect_exit 0 "$JQ_SUBMIT" --config "$TEST_DIR/typo.toml" --print-config
  printf '[worker]\nredis = "redis://h"\n' >"$TEST_DIR/worker.toml"
  expect_exit 2 "$JQ_WORKER" --config "$TEST_DIR/worker.toml" --db a=/a
  expect_contains "$ERR" "$TEST_DIR/worker.toml:1:2: unknown table [worker]" stderr
  printf 'db = ["a=/a",\n  "b=/b"\nconcurrency = 2\n' >"$TEST_DIR/open.toml"
  expect_exit 2 "$JQ_WORKER" --config "$TEST_DIR/open.toml"
  expect_match "$ERR" "^jq-worker: error: $TEST_DIR/open\\.toml:[23]:[0-9]+: " stderr
}
TEST "one TOML file for the three tools; errors name the line" test_config_shared

test_log_json() {
  start_worker --db app="$TEST_DIR/app.sqlite" --log-format json || return
  expect_exit 0 submit --db app --job-id good --sql 'select 1' --format value
  expect_exit 1 submit --db app --job-id bad --sql 'select * from nope' --format json
  stop_worker
  expect_eq "$WORKER_RC" 0 "jq-worker exit status"
  # Every line is one JSON object with time, level and msg; the job ends
  # carry their fields.
  run "$JQ_PYTHON" -c '
import json, re, sys
ends = {}
for n, line in enumerate(open(sys.argv[1]), 1):
    d = json.loads(line)
    assert isinstance(d, dict), f"line {n} is not an object"
    for key in ("time", "level", "msg"):
        assert key in d, f"line {n} has no {key}: {line}"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", d["time"]), d["time"]
    if d.get("event") == "job_finished":
        ends[d["job_id"]] = d
for id, outcome in (("good", "completed"), ("bad", "failed")):
    d = ends[id]
    assert d["outcome"] == outcome, d
    assert d["queue"] == "jq", d
    assert d["level"] == "info", d
    assert isinstance(d["duration_ms"], int) and d["duration_ms"] >= 0, d
    assert d["attempt"] == 1, d
    assert id in d["msg"], d
assert "no such table: nope" in ends["bad"]["reason"], ends["bad"]
assert "reason" not in ends["good"], ends["good"]
print(len(ends))
' "$WORKER_LOG"
  expect_eq "$RC" 0 "JSON check of the worker log" || {
    fail "the log" "$(_jq_excerpt stderr "$ERR")" "$(_jq_excerpt log "$(<"$WORKER_LOG")")"
    return
  }
  expect_eq "$OUT" 2 "job_finished events"

  # Text stays the default.
  start_worker --db app="$TEST_DIR/app.sqlite" || return
  expect_exit 0 submit --db app --job-id plain --sql 'select 1' --format value
  stop_worker
  expect_file_contains "$WORKER_LOG" "jq-worker info: job plain completed in"
  expect_exit 2 "$JQ_WORKER" --db app="$TEST_DIR/app.sqlite" --log-format yaml
}
TEST "--log-format json: one JSON object per line, job ends with fields" test_log_json
