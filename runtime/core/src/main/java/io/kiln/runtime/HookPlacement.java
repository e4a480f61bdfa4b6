package io.kiln.runtime;

import io.kiln.template.Hook;

/**
 * Where a new tcx link goes among the programs already on its hook (kernel multi-program
 * ordering): before a given program, or after all of them. Legacy tc orders by filter priority
 * instead ({@link EndpointLoader.Builder#tcFilter}); XDP has one program per interface.
 */
@FunctionalInterface
public interface HookPlacement {
    /** After every program on the hook: how a dataplane's programs are attached. */
    HookPlacement LAST = hook -> 0;

    /**
     * The id of the program (on this endpoint's interface, at {@code hook}) the new one must run
     * before, read when the hook is attached; 0 for after every program there.
     */
    int beforeProgram(Hook hook);
}
