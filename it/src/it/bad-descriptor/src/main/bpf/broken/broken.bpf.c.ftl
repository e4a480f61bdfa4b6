// never rendered: the descriptor fails first
