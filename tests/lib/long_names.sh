# 63-byte names, PostgreSQL's longest, for the tests of the engine's generated
# names (each of which would be longer and must be cut apart):
#   P60   a 60-byte prefix two columns share (${P60}_d1, ${P60}_d2: 63 bytes)
#   TBL   a 63-byte table name
#   GONE  another, for a table dropped in a contract
# shellcheck shell=bash

# n63 PREFIX: PREFIX padded with x to 63 bytes
n63() {
	local s=$1
	while [ ${#s} -lt 63 ]; do s="${s}x"; done
	printf '%s' "$s"
}
# shellcheck disable=SC2034 # used by the tests that source this file
{
	P60=$(n63 shipping_address_of_the_customer_as_entered)
	P60=${P60:0:60}
	TBL=$(n63 customer_shipping_preferences_archive_table_)
	GONE=$(n63 customer_shipping_table_dropped_in_contract_)
}
