/* Unit tests of the store's identity layer: node id, persistence, lock. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store.h"

static char dir[64];

static void make_dir(void)
{
    snprintf(dir, sizeof(dir), "/tmp/swarmlog-store-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void remove_dir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(store, .init = make_dir, .fini = remove_dir);

Test(store, first_open_makes_a_printable_urlsafe_node_id)
{
    struct store *s = NULL;
    cr_assert_eq(store_open(&s, dir), 0);
    const char *id = store_node_id(s);
    cr_assert_eq(strlen(id), STORE_NODE_ID_LEN);
    for (size_t i = 0; i < STORE_NODE_ID_LEN; i++)
        cr_assert(strchr("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", id[i]) != NULL,
                  "byte %zu of %s is not base62", i, id);
    store_close(s);
}

Test(store, node_id_survives_reopen)
{
    struct store *s = NULL;
    char first[STORE_NODE_ID_LEN + 1];
    cr_assert_eq(store_open(&s, dir), 0);
    memcpy(first, store_node_id(s), sizeof(first));
    store_close(s);
    cr_assert_eq(store_open(&s, dir), 0);
    cr_assert_str_eq(store_node_id(s), first);
    store_close(s);
}

Test(store, two_directories_get_different_node_ids)
{
    char other[64];
    snprintf(other, sizeof(other), "/tmp/swarmlog-store-XXXXXX");
    cr_assert_not_null(mkdtemp(other));
    struct store *a = NULL, *b = NULL;
    cr_assert_eq(store_open(&a, dir), 0);
    cr_assert_eq(store_open(&b, other), 0);
    cr_assert_str_neq(store_node_id(a), store_node_id(b));
    store_close(a);
    store_close(b);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", other);
    cr_assert_eq(system(cmd), 0);
}

Test(store, second_opener_of_a_directory_is_refused)
{
    struct store *a = NULL, *b = NULL;
    cr_assert_eq(store_open(&a, dir), 0);
    cr_assert_eq(store_open(&b, dir), STORE_ERR_LOCKED);
    cr_assert_null(b);
    store_close(a);
    cr_assert_eq(store_open(&b, dir), 0, "the lock is released on close");
    store_close(b);
}

Test(store, empty_keyspace_counts_zero_and_usage_is_reported)
{
    struct store *s = NULL;
    uint64_t n = 99, used = 0, map = 0;
    cr_assert_eq(store_open(&s, dir), 0);
    cr_assert_eq(store_key_count(s, &n), 0);
    cr_assert_eq(n, 0);
    cr_assert_eq(store_usage(s, &used, &map), 0);
    cr_assert_gt(used, 0);
    cr_assert_geq(map, used);
    store_close(s);
}

Test(store, missing_directory_is_an_error_not_a_crash)
{
    struct store *s = NULL;
    int rc = store_open(&s, "/nonexistent/swarmlog/dir");
    cr_assert_neq(rc, 0);
    cr_assert_null(s);
    cr_assert_not_null(store_strerror(rc));
}
