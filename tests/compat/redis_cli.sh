#!/usr/bin/env bash
# redis-cli against the server started by tests/lib/with-server
# (SWARMLOG_PORT). Run: tests/lib/with-server bash tests/compat/redis_cli.sh
# Set SWARMLOG_CLI_TMUX=0 to skip the interactive (tmux) check.
set -euo pipefail

: "${SWARMLOG_PORT:?run me under tests/lib/with-server}"
P=$SWARMLOG_PORT
cli() { timeout 20 redis-cli -h 127.0.0.1 -p "$P" "$@"; }

passed=0
failed=0
check() { # check NAME EXPECTED ACTUAL
    if [[ $2 == "$3" ]]; then
        passed=$((passed + 1))
        echo "ok   $1"
    else
        failed=$((failed + 1))
        echo "FAIL $1"
        echo "  expected: $(printf '%q' "$2")"
        echo "  actual:   $(printf '%q' "$3")"
    fi
}
check_contains() { # check_contains NAME NEEDLE HAYSTACK
    if [[ $3 == *"$2"* ]]; then
        passed=$((passed + 1))
        echo "ok   $1"
    else
        failed=$((failed + 1))
        echo "FAIL $1: output lacks $(printf '%q' "$2"):"
        printf '%s\n' "$3" | head -n 40 | sed 's/^/  | /'
    fi
}

check "ping" "PONG" "$(cli ping)"
check "ping with argument" "hello" "$(cli ping hello)"
check "echo" "hi there" "$(cli echo 'hi there')"
check "resp3 ping" "PONG" "$(cli -3 ping)"

hello3=$(cli -3 hello 3)
check_contains "resp3 hello has proto 3" 'proto 3' "$hello3"
check_contains "resp3 hello has mode" 'mode standalone' "$hello3"
check_contains "resp3 hello has role" 'role master' "$hello3"
check "resp3 null name" "" "$(cli -3 client getname)"

check "csv ping" '"PONG"' "$(cli --csv ping)"
check "csv echo" '"a,b"' "$(cli --csv echo a,b)"
check "csv dbsize" '0' "$(cli --csv dbsize)"
check "csv config get" "\"port\",\"$P\"" "$(cli --csv config get port)"

check "piped input" $'PONG\nhi' "$(printf 'PING\nECHO hi\n' | cli)"
check "piped input with quotes" $'a b\nc' "$(printf 'ECHO "a b"\nECHO c\n' | cli)"
check "repeat" $'PONG\nPONG\nPONG\nPONG\nPONG' "$(cli -r 5 ping)"
check "unknown command" "ERR unknown command 'foo', with args beginning with: 'x' " "$(cli foo x)"
check "arity error" "ERR wrong number of arguments for 'echo' command" "$(cli echo)"

info=$(cli INFO server)
check_contains "info server has redis_version" "redis_version:" "$info"
check_contains "info server has tcp_port" "tcp_port:$P" "$info"

docs=$(cli COMMAND DOCS echo)
check_contains "command docs echo has summary" "summary" "$docs"
check_contains "command docs echo names its argument" $'name\nmessage' "$docs"

check "client setname/getname" $'OK\nme' "$(printf 'CLIENT SETNAME me\nCLIENT GETNAME\n' | cli)"
check "select 0" "OK" "$(cli select 0)"
check "-n 0 (select on connect)" "PONG" "$(cli -n 0 ping)"

# redis-cli --stat / --latency style loops are long-running; one sample of
# --latency-history is not needed here. A quick -i interval run:
check "interval repeat" $'PONG\nPONG' "$(cli -r 2 -i 0.01 ping)"

# Interactive: type "ECHO " in a real terminal and look for the argument hint
# that redis-cli builds from COMMAND DOCS.
interactive() {
    command -v tmux >/dev/null || { echo "skip interactive: no tmux"; return 0; }
    local tmp sock screen deadline
    tmp=$(mktemp -d)
    sock="$tmp/tmux.sock"
    tmux -S "$sock" -f /dev/null new-session -d -x 120 -y 30 \
        "TERM=xterm redis-cli -h 127.0.0.1 -p $P"
    wait_screen() { # wait_screen NEEDLE: polls the pane for up to 10 s
        deadline=$(( $(date +%s) + 10 ))
        while :; do
            screen=$(tmux -S "$sock" capture-pane -p 2>/dev/null || true)
            [[ $screen == *"$1"* ]] && return 0
            [[ $(date +%s) -gt $deadline ]] && return 1
            sleep 0.05
        done
    }
    if wait_screen "127.0.0.1:$P>"; then
        tmux -S "$sock" send-keys -l "ECHO "
        if wait_screen "ECHO message"; then
            check "interactive hint for ECHO" "yes" "yes"
        else
            check "interactive hint for ECHO" "ECHO message" "$screen"
        fi
        tmux -S "$sock" send-keys -l "typed"
        tmux -S "$sock" send-keys Enter
        if wait_screen '"typed"'; then
            check "interactive echo reply" "yes" "yes"
        else
            check "interactive echo reply" '"typed"' "$screen"
        fi
    else
        check "interactive prompt" "127.0.0.1:$P>" "$screen"
    fi
    tmux -S "$sock" kill-server 2>/dev/null || true
    rm -rf "$tmp"
}
if [[ ${SWARMLOG_CLI_TMUX:-1} != 0 ]]; then
    interactive
fi

echo "redis-cli: $passed passed, $failed failed"
[[ $failed == 0 ]]
