/*
 * The integration tests' window on the database, so that they check its real
 * state without a mongo shell: runs one command against the database of a
 * mongodb:// URL and prints the reply as relaxed Extended JSON.
 *
 *   mongo_probe URL '{"listIndexes": "users"}'
 *
 * Exit 0 with the reply on stdout; 1 with the error on stderr.
 */
#include <mongoc/mongoc.h>
#include <stdio.h>

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: mongo_probe URL COMMAND-JSON\n");
		return 2;
	}
	mongoc_init();
	int rc = 1;
	bson_error_t e;
	bson_t reply = BSON_INITIALIZER;
	bson_t *cmd = bson_new_from_json((const uint8_t *)argv[2], -1, &e);
	mongoc_uri_t *uri = mongoc_uri_new_with_error(argv[1], &e);
	mongoc_client_t *client = uri ? mongoc_client_new_from_uri_with_error(uri, &e) : NULL;
	if (!cmd || !client) {
		fprintf(stderr, "mongo_probe: %s\n", e.message);
		goto out;
	}
	const char *db = mongoc_uri_get_database(uri);
	bson_destroy(&reply);
	if (!mongoc_client_command_simple(client, db ? db : "admin", cmd, NULL, &reply, &e)) {
		fprintf(stderr, "mongo_probe: %s (code %u)\n", e.message, e.code);
		goto out;
	}
	char *text = bson_as_relaxed_extended_json(&reply, NULL);
	printf("%s\n", text);
	bson_free(text);
	rc = 0;
out:
	bson_destroy(&reply);
	if (cmd)
		bson_destroy(cmd);
	if (client)
		mongoc_client_destroy(client);
	if (uri)
		mongoc_uri_destroy(uri);
	mongoc_cleanup();
	return rc;
}
