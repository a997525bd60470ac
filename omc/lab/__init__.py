"""The research lab. For now: the LLM factory the lab's agents will use (``omc.lab.llm``)."""
