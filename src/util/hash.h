#ifndef MG_HASH_H
#define MG_HASH_H

#include <stddef.h>

#define SHA256_HEX_LEN 64

/* Writes the SHA-256 of data as 64 lowercase hex digits and a NUL into ret_hex. */
void hash_sha256_hex(const void *data, size_t len, char ret_hex[SHA256_HEX_LEN + 1]);

#endif
