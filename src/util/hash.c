#include "util/hash.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>

void hash_sha256_hex(const void *data, size_t len, char ret_hex[SHA256_HEX_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	if (!EVP_Digest(data, len, md, &md_len, EVP_sha256(), NULL)) {
		fputs("fatal: SHA-256 failed in libcrypto\n", stderr);
		abort();
	}
	static const char hex[] = "0123456789abcdef";
	for (unsigned int i = 0; i < md_len && i < 32; i++) {
		ret_hex[2 * i] = hex[md[i] >> 4];
		ret_hex[2 * i + 1] = hex[md[i] & 15];
	}
	ret_hex[SHA256_HEX_LEN] = '\0';
}
