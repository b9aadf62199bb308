#ifndef MG_DRIVER_MONGO_H
#define MG_DRIVER_MONGO_H

#include "target/target.h"

/*
 * The MongoDB driver, through mongo-c-driver: mongodb:// and mongodb+srv://
 * URLs that name the database (mongodb://host:27017/app). Steps are database
 * commands in relaxed Extended JSON, sent with
 * mongoc_database_write_command_with_opts; a write error or write concern
 * error fails the step (exit 3). begin/commit do nothing: MongoDB runs DDL
 * outside transactions, so phases go command by command and record their
 * progress in the history.
 *
 * The run lock is a document with an expiry (a lease), renewed before each
 * step; another run takes it over only once it expired. The lease lasts
 * MIGRATE_MONGODB_LOCK_TTL (a duration such as 10m; default 10 minutes).
 */
extern const struct driver_ops driver_mongo_ops;

/*
 * The engine behind a connected MongoDB driver, from buildInfo (asked once):
 * "DocumentDB" when the reply names DocumentDB (or FerretDB, which runs on
 * it), else NULL (MongoDB). Engines differ in what collMod accepts.
 */
const char *mongo_engine(struct driver *d);

#endif
