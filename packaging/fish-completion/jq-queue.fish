# fish completion for jq-submit, jq-worker and jq-inspect (package jq-queue).
# Installed as share/fish/vendor_completions.d/<tool>.fish for each tool;
# each copy completes the tool it is named after.
#
# As in the bash completion, the flags and subcommands come from the tool's
# own --help (CLI11's layout), so they follow the installed version.

# Print, from the --help text on stdin, the subcommands ("subcommands"),
# the flags ("flags") as "name<TAB>description", or the flags that take a
# value ("values", names only).
function __jq_queue_parse --argument-names what
    awk -v what=$what '
        # Print the flags held back for a description on the next line.
        function flush(description,   i) {
            for (i = 1; i <= held; i++) print names[i] "\t" description
            held = 0
        }
        # A description CLI11 put on a line of its own, under a long flag.
        held && /^                    +[^ ]/ {
            sub(/^ +/, "")
            flush($0)
            next
        }
        { flush("") }
        /^Subcommands:/ { inside = 1; next }
        /^[^ ]/ { inside = 0 }
        what == "subcommands" && inside && /^  [a-z]/ {
            name = $1
            sub(/^  [^ ]+ +/, "")
            print name "\t" $0
            next
        }
        what != "subcommands" && /^  -/ {
            takes = ($2 ~ /^(TEXT|INT|UINT|FLOAT|FILE|NUMBER)/)
            if (what == "values" && !takes) next
            # The description follows two spaces, if on this line.
            rest = substr($0, 3)
            description = ""
            if (match(rest, /  +/)) description = substr(rest, RSTART + RLENGTH)
            n = split($1, names, ",")
            if (what == "values") {
                for (i = 1; i <= n; i++) print names[i]
            } else if (description == "") {
                held = n
            } else {
                for (i = 1; i <= n; i++) print names[i] "\t" description
            }
        }
        END { flush("") }'
end

function __jq_queue_complete
    set -l tokens (commandline -opc)
    set -l current (commandline -ct)
    set -l tool $tokens[1]
    set -e tokens[1]
    set -l help ($tool --help 2>/dev/null)
    or return
    set -l subs (printf '%s\n' $help | __jq_queue_parse subcommands)
    set -l values (printf '%s\n' $help | __jq_queue_parse values)

    # The subcommand already typed (jq-inspect): the first word that is one,
    # skipping the values of the flags before it.
    set -l names (string replace -r '\t.*' '' -- $subs)
    set -l sub
    set -l skip 0
    for word in $tokens
        if test $skip = 1
            set skip 0
        else if string match -q -- '-*' $word
            if not string match -q -- '*=*' $word; and contains -- $word $values
                set skip 1
            end
        else if contains -- $word $names
            set sub $word
            break
        end
    end
    if test -n "$sub"
        set help ($tool $sub --help 2>/dev/null)
        or return
        set subs
        set values (printf '%s\n' $help | __jq_queue_parse values)
    end

    # The value of a flag.
    set -l prev $tokens[-1]
    switch "$prev"
        case --config --redis-file --db-file
            __fish_complete_path $current
            return
        case --log-format
            printf '%s\n' text json
            return
        case --format
            printf '%s\n' json table csv tsv value
            return
        case -s --state
            printf '%s\n' waiting active delayed paused completed failed
            return
        case --synchronous
            printf '%s\n' full normal
            return
    end
    if contains -- "$prev" $values
        return # some value we cannot guess
    end

    if string match -q -- '-*' "$current"; or test (count $subs) -eq 0
        printf '%s\n' $help | __jq_queue_parse flags
    else
        printf '%s\n' $subs
    end
end

complete -c (basename (status filename) .fish) -f -k -a '(__jq_queue_complete)'
