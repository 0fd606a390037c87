"""One module per body of law; one function per rule, named for the rule it applies."""
