/**
 * Shared infrastructure, not a user API: the located YAML/JSON tree that the template descriptor
 * reader and the agent's spec reader both work on, and the base of their
 * {@code FILE:LINE:COLUMN: FIELD: reason} exceptions. Public only because two modules use it;
 * it may change with them.
 */
package io.kiln.yaml;
