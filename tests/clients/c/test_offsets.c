/* libswarmlog without a server: the offset-map cursor (parse, merge,
 * serialize), cursor files (round trip, malformed and missing files, an
 * injected failure at every step of the atomic save, and SIGKILL at
 * random moments of saving), and the event's JSON line (escaping, UTF-8
 * validity, base64 for other bytes). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "harness.h"
#include "swarmlog.h"
#include "swl_internal.h"

static char *dir;

static void fini_dir(void)
{
    swl_fault_hook = NULL;
    if (dir) {
        th_rmtree(dir);
        free(dir);
        dir = NULL;
    }
}

TestSuite(offsets, .timeout = 60);
TestSuite(cursor_file, .fini = fini_dir, .timeout = 60);
TestSuite(event_json, .timeout = 60);

static swl_offsets *parse_ok(const char *text)
{
    swl_offsets *m;
    char err[160];
    int rc = swl_offsets_parse(text, strlen(text), &m, err, sizeof(err));
    cr_assert_eq(rc, SWL_OK, "parse %s: %s", text, err);
    return m;
}

static char *json_of(const swl_offsets *m)
{
    char *s;
    cr_assert_eq(swl_offsets_to_json(m, &s, NULL), SWL_OK);
    return s;
}

Test(offsets, parse_and_serialize_round_trip)
{
    swl_offsets *m = parse_ok(" {\n\t\"a-0\" : 41 , \"b\\\"q\\\\-0\":0,\"c\\u0001\\/\":9223372036854775807 } \r\n");
    cr_assert_eq(swl_offsets_count(m), 3);
    uint64_t off;
    cr_assert_eq(swl_offsets_get(m, "a-0", &off), 1);
    cr_assert_eq(off, 41);
    cr_assert_eq(swl_offsets_get(m, "b\"q\\-0", &off), 1);
    cr_assert_eq(off, 0);
    cr_assert_eq(swl_offsets_get(m, "c\x01/", &off), 1);
    cr_assert_eq(off, UINT64_C(9223372036854775807));
    cr_assert_eq(swl_offsets_get(m, "zz", &off), 0);
    char *s = json_of(m);
    cr_assert_str_eq(s, "{\"a-0\":41,\"b\\\"q\\\\-0\":0,\"c\\u0001/\":9223372036854775807}");
    swl_offsets *again = parse_ok(s);
    char *s2 = json_of(again);
    cr_assert_str_eq(s, s2, "serialize(parse(serialize(m))) == serialize(m)");
    const char *stream;
    cr_assert_eq(swl_offsets_entry(m, 1, &stream, &off), SWL_OK);
    cr_assert_str_eq(stream, "b\"q\\-0");
    cr_assert_eq(swl_offsets_entry(m, 3, &stream, &off), SWL_ERR_ARG);
    free(s);
    free(s2);
    swl_offsets_free(m);
    swl_offsets_free(again);
    m = parse_ok("{}");
    s = json_of(m);
    cr_assert_str_eq(s, "{}");
    free(s);
    swl_offsets_free(m);
}

Test(offsets, malformed_text_is_rejected_with_its_position)
{
    static const struct {
        const char *text, *msg;
    } cases[] = {
        { "", "expected '{' at the end" },
        { "[]", "expected '{' at position 1" },
        { "{", "expected a string at the end" },
        { "{\"a\"}", "expected ':' at position 5" },
        { "{\"a\":}", "expected an offset" },
        { "{\"a\":-1}", "negative offset at position 6" },
        { "{\"a\":01}", "leading zero" },
        { "{\"a\":1.5}", "an offset is an integer" },
        { "{\"a\":1e3}", "an offset is an integer" },
        { "{\"a\":9223372036854775808}", "offset too large" },
        { "{\"a\":99999999999999999999999}", "offset too large" },
        { "{\"a\":1,}", "expected a string" },
        { "{\"a\":1 \"b\":2}", "expected ',' or '}' at position 8" },
        { "{\"a\":1,\"a\":2}", "stream given twice at position 8" },
        { "{\"\":1}", "empty stream id at position 2" },
        { "{\"a\":1} x", "text after the map at position 9" },
        { "{\"a\\x\":1}", "unsupported escape" },
        { "{\"a\\u0000\":1}", "bad \\u00XX escape" },
        { "{\"a\\u12\":1}", "unsupported escape" },
        { "{\"a\n\":1}", "control character" },
        { "{\"a", "unterminated string at the end" },
        { "{a:1}", "expected a string at position 2" },
        { "{\"a\":\"1\"}", "expected an offset" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        swl_offsets *m = (swl_offsets *)&m;
        char err[160];
        int rc = swl_offsets_parse(cases[i].text, strlen(cases[i].text), &m, err, sizeof(err));
        cr_assert_eq(rc, SWL_ERR_PARSE, "%s parsed", cases[i].text);
        cr_assert_null(m, "*out is NULL on failure");
        cr_assert(strstr(err, cases[i].msg) != NULL, "%s: got \"%s\", want \"%s\"", cases[i].text, err,
                  cases[i].msg);
    }
    /* length, not NUL, ends the text */
    swl_offsets *m;
    cr_assert_eq(swl_offsets_parse("{\"a\":1}garbage", 7, &m, NULL, 0), SWL_OK);
    swl_offsets_free(m);
    cr_assert_eq(swl_offsets_parse("{\"a\":1}\0", 8, &m, NULL, 0), SWL_ERR_PARSE);
}

Test(offsets, merge_takes_the_maximum_and_never_lowers)
{
    swl_offsets *a = parse_ok("{\"s1\":5,\"s2\":9}"), *b = parse_ok("{\"s2\":3,\"s3\":0,\"s1\":7}");
    cr_assert_eq(swl_offsets_merge(a, b), SWL_OK);
    char *s = json_of(a);
    cr_assert_str_eq(s, "{\"s1\":7,\"s2\":9,\"s3\":0}");
    free(s);
    swl_event ev = { .stream = "s2", .offset = 4 };
    cr_assert_eq(swl_offsets_merge_event(a, &ev), SWL_OK);
    ev.stream = "s4";
    ev.offset = 12;
    cr_assert_eq(swl_offsets_merge_event(a, &ev), SWL_OK);
    ev.stream = "s1";
    ev.offset = 8;
    cr_assert_eq(swl_offsets_merge_event(a, &ev), SWL_OK);
    s = json_of(a);
    cr_assert_str_eq(s, "{\"s1\":8,\"s2\":9,\"s3\":0,\"s4\":12}");
    free(s);
    cr_assert(swl_offsets_covers(a, "s1", 8));
    cr_assert(swl_offsets_covers(a, "s3", 0));
    cr_assert(!swl_offsets_covers(a, "s1", 9));
    cr_assert(!swl_offsets_covers(a, "nope", 0));
    swl_offsets *c;
    cr_assert_eq(swl_offsets_copy(a, &c), SWL_OK);
    cr_assert_eq(swl_offsets_set(c, "s1", 2), SWL_OK, "set may lower");
    cr_assert_eq(swl_offsets_set(c, "", 2), SWL_ERR_ARG);
    cr_assert_eq(swl_offsets_set(c, "x", UINT64_C(1) << 63), SWL_ERR_ARG);
    uint64_t off;
    cr_assert(swl_offsets_get(c, "s1", &off) && off == 2);
    cr_assert(swl_offsets_get(a, "s1", &off) && off == 8, "the copy is deep");
    swl_offsets_free(a);
    swl_offsets_free(b);
    swl_offsets_free(c);
}

static char *path_in_dir(const char *name)
{
    if (dir == NULL) {
        dir = th_tmpdir_new();
        cr_assert_not_null(dir);
    }
    char *p = malloc(strlen(dir) + strlen(name) + 2);
    sprintf(p, "%s/%s", dir, name);
    return p;
}

static char *load_json(const char *path)
{
    swl_offsets *m;
    char err[200];
    int rc = swl_offsets_load(path, &m, err, sizeof(err));
    cr_assert_eq(rc, SWL_OK, "load %s: %s %s", path, swl_strerror(rc), err);
    char *s = json_of(m);
    swl_offsets_free(m);
    return s;
}

Test(cursor_file, save_load_missing_and_malformed)
{
    char *path = path_in_dir("cursor.json");
    swl_offsets *m;
    cr_assert_eq(swl_offsets_load(path, &m, NULL, 0), SWL_ERR_NOENT);
    m = parse_ok("{\"n1-0\":3,\"n2-0\":17}");
    cr_assert_eq(swl_offsets_save(m, path), SWL_OK);
    swl_offsets_free(m);
    char *s = load_json(path);
    cr_assert_str_eq(s, "{\"n1-0\":3,\"n2-0\":17}");
    free(s);
    char *tmp = path_in_dir("cursor.json.tmp");
    cr_assert_neq(access(tmp, F_OK), 0, "no temp file is left behind");
    static const char *const bad[] = { "", "{\"n1-0\":3", "{\"n1-0\":3}{}", "not json\n" };
    for (size_t i = 0; i < 4; i++) {
        cr_assert_eq(th_write_file(path, bad[i], strlen(bad[i])), 0);
        char err[200];
        cr_assert_eq(swl_offsets_load(path, &m, err, sizeof(err)), SWL_ERR_PARSE, "file \"%s\"", bad[i]);
        cr_assert(strstr(err, "invalid offset map") != NULL, "%s", err);
    }
    char *sub = path_in_dir("no-such-dir/cursor.json");
    m = parse_ok("{}");
    errno = 0;
    cr_assert_eq(swl_offsets_save(m, sub), SWL_ERR_FILE);
    cr_assert_eq(errno, ENOENT);
    swl_offsets_free(m);
    errno = 0;
    cr_assert_eq(swl_offsets_load(dir, &m, NULL, 0), SWL_ERR_FILE, "a directory is no cursor file");
    cr_assert_eq(errno, EISDIR);
    free(sub);
    free(tmp);
    free(path);
}

static const char *fail_site;
static int fail_at(const char *site)
{
    return strcmp(site, fail_site) == 0 ? EIO : 0;
}

Test(cursor_file, a_failure_at_any_step_leaves_a_complete_map)
{
    char *path = path_in_dir("cursor.json"), *tmp = path_in_dir("cursor.json.tmp");
    swl_offsets *old = parse_ok("{\"a-0\":1}"), *neu = parse_ok("{\"a-0\":2,\"b-0\":5}");
    static const char *const before_rename[] = { "open", "write", "fsync", "close", "rename" };
    cr_assert_eq(swl_offsets_save(old, path), SWL_OK);
    swl_fault_hook = fail_at;
    for (size_t i = 0; i < 5; i++) {
        fail_site = before_rename[i];
        errno = 0;
        cr_assert_eq(swl_offsets_save(neu, path), SWL_ERR_FILE, "failure at %s", fail_site);
        cr_assert_eq(errno, EIO, "errno tells why (%s)", fail_site);
        char *s = load_json(path);
        cr_assert_str_eq(s, "{\"a-0\":1}", "failure at %s keeps the old map", fail_site);
        free(s);
        cr_assert_neq(access(tmp, F_OK), 0, "failure at %s removes the temp file", fail_site);
    }
    fail_site = "fsync-dir"; /* after the rename: the new map is in place, not yet durable */
    cr_assert_eq(swl_offsets_save(neu, path), SWL_ERR_FILE);
    char *s = load_json(path);
    cr_assert_str_eq(s, "{\"a-0\":2,\"b-0\":5}");
    free(s);
    swl_fault_hook = NULL;
    /* a temp file left by a crash does not disturb the next save */
    cr_assert_eq(th_write_file(tmp, "{\"torn", 6), 0);
    cr_assert_eq(swl_offsets_save(old, path), SWL_OK);
    s = load_json(path);
    cr_assert_str_eq(s, "{\"a-0\":1}");
    free(s);
    swl_offsets_free(old);
    swl_offsets_free(neu);
    free(path);
    free(tmp);
}

/* A child saves ever larger maps ({"s-0":i,"t-0":2i}) as fast as it can;
 * SIGKILL at a moment that varies per round. Each time the file must load
 * as one complete map the child saved, never torn, never going back. */
Test(cursor_file, sigkill_while_saving_never_tears_the_file)
{
    char *path = path_in_dir("cursor.json");
    uint64_t last = 0;
    for (int round = 0; round < 20; round++) {
        pid_t pid = fork();
        cr_assert_geq(pid, 0);
        if (pid == 0) {
            swl_offsets *m;
            if (swl_offsets_new(&m) != SWL_OK)
                _exit(3);
            for (uint64_t i = last + 1;; i++) {
                if (swl_offsets_set(m, "s-0", i) || swl_offsets_set(m, "t-0", 2 * i) ||
                    swl_offsets_save(m, path))
                    _exit(4);
            }
        }
        /* wait until the child saved at least round+1 new maps, then kill it */
        long long deadline = th_now_ms() + 10000;
        for (;;) {
            swl_offsets *m;
            uint64_t v = 0;
            if (swl_offsets_load(path, &m, NULL, 0) == SWL_OK) {
                swl_offsets_get(m, "s-0", &v);
                swl_offsets_free(m);
            }
            if (v >= last + (uint64_t)round + 1 || th_now_ms() > deadline)
                break;
        }
        kill(pid, SIGKILL);
        int status;
        cr_assert_eq(waitpid(pid, &status, 0), pid);
        cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "the saver failed: %d", status);
        swl_offsets *m;
        char err[200];
        cr_assert_eq(swl_offsets_load(path, &m, err, sizeof(err)), SWL_OK, "round %d: %s", round, err);
        uint64_t s, t;
        cr_assert(swl_offsets_get(m, "s-0", &s) && swl_offsets_get(m, "t-0", &t));
        cr_assert_eq(t, 2 * s, "a map the child saved, complete");
        cr_assert_geq(s, last, "the file never goes back");
        last = s;
        swl_offsets_free(m);
    }
    free(path);
}

static char *event_json(const swl_event *ev)
{
    char *s;
    size_t len;
    cr_assert_eq(swl_event_to_json(ev, &s, &len), SWL_OK);
    cr_assert_eq(len, strlen(s));
    return s;
}

Test(event_json, every_field_escaped_and_binary_safe)
{
    swl_bytes tags[] = { { "k", 1 }, { "a\"b\\c", 5 }, { "\xc3\xa9t\xc3\xa9", 5 } };
    swl_field fields[] = { { { "nul", 3 }, { "x\0y", 3 } },
                           { { "ctl", 3 }, { "\n\r\t\x01\x7f", 5 } },
                           { { "bin", 3 }, { "\xff\xfe\x00", 3 } },
                           { { "k", 1 }, { "", 0 } },
                           { { "k", 1 }, { "\xf0\x9f\x98\x80", 4 } } };
    swl_event ev = { .stream = "n-0", .offset = 7, .lamport = 12, .timestamp_us = 1700000000000001,
                     .key = { "k", 1 }, .entry_id = { "1-0", 3 }, .tags = tags, .ntags = 3,
                     .type = { "T", 1 }, .event_id = { NULL, 0 }, .fields = fields, .nfields = 5 };
    char *s = event_json(&ev);
    cr_assert_str_eq(s, "{\"stream\":\"n-0\",\"offset\":7,\"lamport\":12,\"timestamp\":1700000000000001,"
                        "\"key\":\"k\",\"id\":\"1-0\",\"tags\":[\"k\",\"a\\\"b\\\\c\",\"\xc3\xa9t\xc3\xa9\"],"
                        "\"type\":\"T\",\"eventid\":null,\"payload\":[\"nul\",\"x\\u0000y\",\"ctl\","
                        "\"\\n\\r\\t\\u0001\\u007f\",\"bin\",{\"base64\":\"//4A\"},\"k\",\"\",\"k\","
                        "\"\xf0\x9f\x98\x80\"]}");
    free(s);
}

Test(event_json, invalid_utf8_is_base64)
{
    static const struct {
        const char *bytes;
        size_t len;
        const char *json;
    } cases[] = {
        { "\xc0\xaf", 2, "{\"base64\":\"wK8=\"}" },          /* overlong '/' */
        { "\xed\xa0\x80", 3, "{\"base64\":\"7aCA\"}" },      /* a surrogate */
        { "\xf4\x90\x80\x80", 4, "{\"base64\":\"9JCAgA==\"}" }, /* above U+10FFFF */
        { "ab\xc3", 3, "{\"base64\":\"YWLD\"}" },            /* truncated sequence */
        { "\x80", 1, "{\"base64\":\"gA==\"}" },              /* a lone continuation byte */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        swl_event ev = { .stream = "n-0", .key = { cases[i].bytes, cases[i].len }, .entry_id = { "1-0", 3 } };
        char *s = event_json(&ev);
        char want[256];
        snprintf(want, sizeof(want),
                 "{\"stream\":\"n-0\",\"offset\":0,\"lamport\":0,\"timestamp\":0,\"key\":%s,\"id\":\"1-0\","
                 "\"tags\":[],\"type\":null,\"eventid\":null,\"payload\":[]}",
                 cases[i].json);
        cr_assert_str_eq(s, want);
        free(s);
    }
}

Test(offsets, strerror_names_every_code)
{
    for (int code = 0; code >= SWL_ERR_NOENT; code--)
        cr_assert(strcmp(swl_strerror(code), "unknown error code") != 0, "code %d", code);
    cr_assert_str_eq(swl_strerror(1), "unknown error code");
    cr_assert_str_eq(swl_strerror(SWL_ERR_WRONGVERSION), "expected version did not match: nothing stored");
}
