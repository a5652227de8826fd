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

# ---- the compatibility matrix (docs/compat.md, column redis-cli) ----
tmp=$(mktemp -d)
cleanup_bg() { # stops this script's own background clients still running
    local p
    for p in $(jobs -pr); do kill "$p" 2>/dev/null || true; done
    rm -rf "$tmp"
}
trap cleanup_bg EXIT
now_ms() { date +%s%3N; }
wait_blocked() { # wait_blocked N: polls INFO clients for blocked_clients:N (10 s)
    local deadline=$(( $(now_ms) + 10000 ))
    until cli INFO clients | tr -d '\r' | grep -qx "blocked_clients:$1"; do
        [[ $(now_ms) -gt $deadline ]] && return 1
        sleep 0.01
    done
}
wait_file() { # wait_file NEEDLE FILE: polls FILE until it contains NEEDLE (10 s)
    local deadline=$(( $(now_ms) + 10000 ))
    until grep -qF -- "$1" "$2" 2>/dev/null; do
        [[ $(now_ms) -gt $deadline ]] && return 1
        sleep 0.01
    done
}

# streams
cli DEL cli:s >/dev/null
check "xadd explicit id" "1-1" "$(cli XADD cli:s 1-1 f a)"
check "xadd seq wildcard" "1-2" "$(cli XADD cli:s '1-*' f b g c)"
check "xadd too small" "ERR The ID specified in XADD is equal or smaller than the target stream top item" \
    "$(cli XADD cli:s 1-1 f x)"
check "xrange" $'1-1\nf\na\n1-2\nf\nb\ng\nc' "$(cli XRANGE cli:s - +)"
check "xrange --csv" '"1-1","f","a","1-2","f","b","g","c"' "$(cli --csv XRANGE cli:s - +)"
check "xrevrange count" '"1-2","f","b","g","c"' "$(cli --csv XREVRANGE cli:s + - COUNT 1)"
check "xrange exclusive" '"1-2","f","b","g","c"' "$(cli --csv XRANGE cli:s '(1-1' +)"
check "resp2 xread is an array" $'1) 1) "cli:s"\n   2) 1) 1) "1-2"' \
    "$(cli --no-raw XREAD COUNT 1 STREAMS cli:s 1-1 | head -n 2)"
check "resp3 xread is a map" $'1# "cli:s" => \n   1) 1) "1-2"' \
    "$(cli -3 --no-raw XREAD COUNT 1 STREAMS cli:s 1-1 | head -n 2)"
check "xread block timeout" "" "$(cli XREAD BLOCK 100 STREAMS cli:s '$')"

cli XREAD BLOCK 10000 STREAMS cli:s '$' >"$tmp/xread" 2>&1 &
bg=$!
if wait_blocked 1; then
    cli XADD cli:s 9-1 f new >/dev/null
    wait "$bg" || true
    check "xread block woken by another client" $'cli:s\n9-1\nf\nnew' "$(cat "$tmp/xread")"
else
    check "xread block: client blocked" "blocked_clients:1" "$(cli INFO clients | tr -d '\r' | grep blocked)"
fi

# consumer groups
cli DEL cli:g >/dev/null
check "xgroup create" "OK" "$(cli XGROUP CREATE cli:g g 0 MKSTREAM)"
for i in 1 2 3; do cli XADD cli:g "$i-1" n "$i" >/dev/null; done
check "xreadgroup" '"cli:g","1-1","n","1","2-1","n","2"' \
    "$(cli --csv XREADGROUP GROUP g alice COUNT 2 STREAMS cli:g '>')"
check "xpending summary" '2,"1-1","2-1","alice","2"' "$(cli --csv XPENDING cli:g g)"
check "xack" "1" "$(cli XACK cli:g g 1-1 9-9)"
check "xautoclaim" '"0-0","2-1","n","2",' "$(cli --csv XAUTOCLAIM cli:g g bob 0 0-0 COUNT 10)"
xp=$(cli --csv XPENDING cli:g g - + 10)
check "xpending extended" '"2-1","bob",2' "${xp/,[0-9]*,/,}"
xi=$(cli -3 --no-raw XINFO STREAM cli:g)
check_contains "resp3 xinfo stream is a map" '1# "length" => (integer) 3' "$xi"
check_contains "xinfo stream groups" '"groups" => (integer) 1' "$xi"
check_contains "xinfo stream last id" '"last-generated-id" => "3-1"' "$xi"
check "xinfo groups" '"name","g","consumers",2,"pending",1,"last-delivered-id","2-1","entries-read",2,"lag",1' \
    "$(cli --csv XINFO GROUPS cli:g)"
xc=$(cli --csv XINFO CONSUMERS cli:g g)
check "xinfo consumers" '"name","alice","pending",0,"idle",#,"name","bob","pending",1,"idle",#' \
    "$(sed -E 's/"idle",[0-9]+/"idle",#/g' <<<"$xc")"

cli XREADGROUP GROUP g carol BLOCK 10000 STREAMS cli:g '>' >"$tmp/xrg" 2>&1 &
bg=$!
# 3-1 was never delivered: carol gets it at once, without blocking
wait "$bg" || true
check "xreadgroup block (entry waiting)" $'cli:g\n3-1\nn\n3' "$(cat "$tmp/xrg")"
cli XREADGROUP GROUP g carol BLOCK 10000 STREAMS cli:g '>' >"$tmp/xrg" 2>&1 &
bg=$!
if wait_blocked 1; then
    cli XADD cli:g 4-1 n 4 >/dev/null
    wait "$bg" || true
    check "xreadgroup block woken" $'cli:g\n4-1\nn\n4' "$(cat "$tmp/xrg")"
else
    check "xreadgroup block: client blocked" "blocked_clients:1" "no"
fi

# pipelines: piped input, --pipe, -r
cli DEL cli:p >/dev/null
out=$(for i in $(seq 1 100); do printf 'XADD cli:p %d-1 i %d\n' "$i" "$i"; done; printf 'XLEN cli:p\n')
out=$(cli <<<"$out")
check "piped xadds: 101 replies" "101" "$(wc -l <<<"$out")"
check "piped xadds: in order" $'99-1\n100-1\n100' "$(tail -n 3 <<<"$out")"
resp=$(for i in $(seq 101 150); do printf '*5\r\n$4\r\nXADD\r\n$5\r\ncli:p\r\n$%d\r\n%d-1\r\n$1\r\ni\r\n$1\r\nx\r\n' \
    $(( ${#i} + 2 )) "$i"; done)
check_contains "--pipe mass insertion" "errors: 0, replies: 50" "$(cli --pipe <<<"$resp" 2>&1)"
check "--pipe wrote them" "150" "$(cli XLEN cli:p)"
check "-r xadd" "5" "$(cli -r 5 XADD cli:r '*' f v | wc -l)"
check "-r xadd stored" "5" "$(cli XLEN cli:r)"

# swarmlog's own commands are skipped under `with-server --redis`
swarmlog=0
[[ $(cli INFO server) == *swarmlog_version:* ]] && swarmlog=1

# MULTI/EXEC in one connection (piped input)
cli DEL cli:tx >/dev/null
ev_add='EV.ADD cli:tx TAGS 1 t f v'
ev_reply='\"stream\",\"[A-Za-z0-9]+-0\",\"offset\",[0-9]+,\"lamport\",[0-9]+,\"timestamp\",[0-9]+,\"id\",\"[0-9]+-0\"'
if [[ $swarmlog == 0 ]]; then
    ev_add='XADD cli:tx * f v'
    ev_reply='\"[0-9]+-0\"'
fi
out=$(printf 'MULTI\nXADD cli:tx 1-1 f v\nXADD cli:tx 1-1 f v\n%s\nXLEN cli:tx\nEXEC\n' "$ev_add" | cli --csv)
check "multi/exec queued" $'"OK"\n"QUEUED"\n"QUEUED"\n"QUEUED"\n"QUEUED"' "$(head -n 5 <<<"$out")"
exec_line=$(tail -n 1 <<<"$out")
exec_re="^\"1-1\",ERROR,\"ERR The ID specified in XADD is equal or smaller than the target stream top item\",$ev_reply,2\$"
if [[ $exec_line =~ $exec_re ]]; then
    check "multi/exec replies" "ok" "ok"
else
    check "multi/exec replies" "\"1-1\",ERROR,\"ERR ...\",\"stream\",...,2" "$exec_line"
fi
out=$(printf 'WATCH cli:tx\nMULTI\nXADD cli:tx 9999999999999-1 f w\nEXEC\n' | cli --csv)
check "watch: untouched key, exec runs" $'"OK"\n"OK"\n"QUEUED"\n"9999999999999-1"' "$out"

# EV commands
ev_checks() {
    cli DEL cli:orders cli:other >/dev/null
    IFS=, read -r _ node _ stream _ lamport _ events <<<"$(cli --csv EV.NODE)"
    node=${node//\"/}
    stream=${stream//\"/}
    check "ev.node stream is <node>-0" "$node-0" "$stream"
    add=$(cli --csv EV.ADD cli:orders TAGS 2 region:eu vip TYPE OrderPlaced EVENTID cli-o-1 amount 10)
    IFS=, read -r _ s _ offset _ lam _ _ _ id <<<"$add"
    check "ev.add stream" "\"$stream\"" "$s"
    check "ev.add offset" "$events" "$offset"
    check "ev.add lamport" "$(( lamport + 1 ))" "$lam"
    check "ev.add eventid retry" "$offset" \
        "$(cli --csv EV.ADD cli:orders EVENTID cli-o-1 amount 10 | cut -d, -f4)"
    check "ev.add resp3 is a map" "1# \"stream\" => \"$stream\""$'\n'"2# \"offset\" => (integer) $(( offset + 1 ))" \
        "$(cli -3 --no-raw EV.ADD cli:orders TAGS 1 region:us amount 5 | head -n 2)"
    check "ev.node events" "$(( events + 2 ))" "$(cli --csv EV.NODE | cut -d, -f8)"
    check "ev.offsets" "\"present\",\"{\\\"$stream\\\":$(( offset + 1 ))}\",\"toReplicate\",\"{}\"" \
        "$(cli --csv EV.OFFSETS)"
    check "ev.offsets resp3 map" $'1# "present" => "{\\"'"$stream"$'\\":'"$(( offset + 1 ))"$'}"\n2# "toReplicate" => "{}"' \
        "$(cli -3 --no-raw EV.OFFSETS)"
    from="{\"$stream\":$(( offset - 1 ))}"
    [[ $offset == 0 ]] && from='{}'
    q=$(cli --csv EV.QUERY WHERE "cli:orders & region:eu & vip" TYPES 1 OrderPlaced FROM "$from")
    check "ev.query event" "\"{\\\"$stream\\\":$(( offset + 1 ))}\",\"stream\",\"$stream\",\"offset\",$offset,\"lamport\",$lam,\"timestamp\",#,\"key\",\"cli:orders\",\"id\",$id,\"tags\",\"cli:orders\",\"region:eu\",\"vip\",\"type\",\"OrderPlaced\",\"eventid\",\"cli-o-1\",\"payload\",\"amount\",\"10\"" \
        "$(sed -E 's/"timestamp",[0-9]+/"timestamp",#/' <<<"$q")"
    q3=$(cli -3 --no-raw EV.QUERY WHERE cli:orders FROM "$from" COUNT 1)
    check_contains "ev.query resp3 event is a map" '1# "stream" => "'"$stream"'"' "$q3"
    check_contains "ev.query resp3 tags" $'7# "tags" => \n          1) "cli:orders"' "$q3"
    check "ev.query bad where" "ERR" "$(cli EV.QUERY WHERE '(' | cut -c1-3)"
    present=$(cli --csv EV.OFFSETS | cut -d, -f2 | sed -E 's/^"//; s/"$//; s/\\"/"/g')
    check "ev.read block timeout" "" "$(cli EV.READ WHERE cli:orders BLOCK 100 FROM "$present")"
    cli --csv EV.READ WHERE cli:orders COUNT 10 BLOCK 10000 FROM "$present" >"$tmp/evread" 2>&1 &
    bg=$!
        if wait_blocked 1; then
        cli EV.ADD cli:other f nomatch >/dev/null
        cli EV.ADD cli:orders TYPE Live f v >/dev/null
        wait "$bg" || true
        check_contains "ev.read block woken by a matching event" '"key","cli:orders","id"' "$(cat "$tmp/evread")"
        check_contains "ev.read block: the matching one" '"type","Live"' "$(cat "$tmp/evread")"
        check "ev.read block: not the other key" "" "$(grep -o cli:other "$tmp/evread" || true)"
    else
        check "ev.read block: client blocked" "blocked_clients:1" "no"
    fi
    check "-r ev.add" "3" "$(cli --csv -r 3 EV.ADD cli:r f v | wc -l)"

    # EV.SUBSCRIBE. RESP2: redis-cli reads one reply per command (it stays
    # subscribed only for its own SUBSCRIBE family), so it prints the first
    # message and exits.
    check "ev.subscribe resp2: only the first message" $'ev.subscribed\n{}' \
        "$(cli EV.SUBSCRIBE WHERE cli:orders FROM '{}')"
    # RESP3: the messages are pushes; redis-cli prints them (--show-pushes, on by
    # default only on a terminal) while it waits for a reply that never comes.
    timeout 20 stdbuf -o0 redis-cli -h 127.0.0.1 -p "$P" -3 --show-pushes yes \
        EV.SUBSCRIBE WHERE "cli:orders & region:eu" FROM '{}' >"$tmp/sub" 2>&1 &
    bg=$!
        if wait_file ev.caughtup "$tmp/sub"; then
        cli EV.ADD cli:orders TAGS 1 region:eu note live >/dev/null
        wait_file live "$tmp/sub" || true
    fi
    kill "$bg" 2>/dev/null || true
    wait "$bg" 2>/dev/null || true
    check "ev.subscribe resp3: messages in order" $'ev.subscribed\nev.event\nev.caughtup\nev.event' \
        "$(grep -E '^ev\.' "$tmp/sub")"
    check "ev.subscribe resp3: history then live" $'amount\nnote' "$(grep -E '^payload ' "$tmp/sub" | cut -d' ' -f2)"
}
if [[ $swarmlog == 1 ]]; then
    ev_checks
else
    echo "skip EV commands: not swarmlog"
fi

# Interactive: type "ECHO " in a real terminal and look for the argument hint
# that redis-cli builds from COMMAND DOCS.
interactive() {
    command -v tmux >/dev/null || { echo "skip interactive: no tmux"; return 0; }
    local ttmp sock screen deadline
    ttmp=$(mktemp -d)
    sock="$ttmp/tmux.sock"
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
    rm -rf "$ttmp"
}
if [[ ${SWARMLOG_CLI_TMUX:-1} != 0 ]]; then
    interactive
fi

echo "redis-cli: $passed passed, $failed failed"
[[ $failed == 0 ]]
