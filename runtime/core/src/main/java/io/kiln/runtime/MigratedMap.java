package io.kiln.runtime;

import java.nio.file.Path;

/**
 * A pinned map whose layout changed, moved into a new map by a specialize (see
 * {@code docs/agent.md}, "Upgrades and map migration").
 *
 * @param map     the map's name
 * @param pin     its pin (the new map replaces the old there once the new programs run)
 * @param from    the old definition, e.g. {@code lru_hash key 16 value 24 max_entries 65536 flags 0x0}
 * @param to      the new definition
 * @param entries entries copied before the new programs were loaded
 * @param nanos   time to create the new map and copy them
 */
public record MigratedMap(String map, Path pin, String from, String to, int entries, long nanos) {
}
