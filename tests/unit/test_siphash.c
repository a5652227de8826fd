/* SipHash-2-4 against the reference test vectors of the SipHash paper. */
#include <criterion/criterion.h>

#include "store_internal.h"

Test(siphash, reference_vectors)
{
    unsigned char key[16], msg[64];
    for (int i = 0; i < 16; i++)
        key[i] = (unsigned char)i;
    for (int i = 0; i < 64; i++)
        msg[i] = (unsigned char)i;
    cr_assert_eq(store_siphash(key, msg, 0), 0x726fdb47dd0e0e31ULL);
    cr_assert_eq(store_siphash(key, msg, 1), 0x74f839c593dc67fdULL);
    cr_assert_eq(store_siphash(key, msg, 8), 0x93f5f5799a932462ULL);
    cr_assert_eq(store_siphash(key, msg, 15), 0xa129ca6149be45e5ULL);
}

Test(siphash, key_changes_the_hash)
{
    unsigned char a[16] = { 0 }, b[16] = { 1 };
    cr_assert_neq(store_siphash(a, "swarmlog", 8), store_siphash(b, "swarmlog", 8));
}
