package io.adapterplatform.web.problem;

/**
 * Marks a record that the registry reads from a JSON request body. Such bodies are read strictly: a
 * property the record does not have is a 400 naming it, not silently dropped (a misspelt {@code
 * "decription"} would otherwise create an adapter without its description). Only these types are
 * affected, so the other services sharing the JVM in the one-command platform keep their own
 * leniency, and responses are untouched.
 */
public interface JsonRequestBody {}
