/** The located YAML/JSON tree and the readers behind {@link io.kiln.agent.spec.SpecReader}. */
package io.kiln.agent.spec.internal;
