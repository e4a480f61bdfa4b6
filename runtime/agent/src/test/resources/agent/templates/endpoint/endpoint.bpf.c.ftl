/* never compiled: the agent's tests only read the descriptor beside it */
