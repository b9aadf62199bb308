-- only a comment/* and /* nested */ */
