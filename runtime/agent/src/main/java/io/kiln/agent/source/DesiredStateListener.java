package io.kiln.agent.source;

import io.kiln.agent.spec.DesiredState;
import io.kiln.agent.spec.SpecError;

import java.util.List;

/** Receives the merged desired state of every source, with every error the sources found. */
@FunctionalInterface
public interface DesiredStateListener {

    void onDesiredState(DesiredState state, List<SpecError> errors);
}
