/**
 * From object to live hook. {@link io.kiln.runtime.Specializer} loads a template's object for one
 * {@link io.kiln.runtime.Endpoint} (its constants in {@code .rodata}, its maps pinned or reused);
 * {@link io.kiln.runtime.EndpointLoader} attaches the programs to the endpoint's interface, swaps them
 * atomically when the object or the constants change, adopts endpoints another process attached,
 * and detaches them. Pins follow {@link io.kiln.runtime.PinLayout}; what adoption needs beyond the
 * pins is in one JSON state file per endpoint.
 */
package io.kiln.runtime;
