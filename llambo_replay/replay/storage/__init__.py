"""The cassette store on disk: packs of JSON Lines (`store`, `packs`), the conversion of older folders
(`migration`), whole-store reports and pruning (`report`), and the one folder walker (`walk`)."""
