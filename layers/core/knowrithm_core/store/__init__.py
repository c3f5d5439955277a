"""DynamoDB access: one table adapter (:mod:`.table`), key builders (:mod:`.keys`) and repositories."""
