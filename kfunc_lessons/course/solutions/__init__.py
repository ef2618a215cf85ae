"""Reference solutions: each file builds ``model`` and is what ``kl.solution(id)`` shows."""
