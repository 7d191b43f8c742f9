"""The LangChain part of ``qwen-demo``: ChatQwen invoke, stream, tools, structured output and an agent."""

from __future__ import annotations

import importlib.util
from typing import Any

from qwen_core._demo_steps import Steps

MODEL = "qwen-plus"  # hybrid thinking model, used without thinking: structured output and forced tools work natively


def get_weather(city: str) -> str:
    """Get the current weather for a city."""
    return f"Sunny, 24 degrees Celsius in {city}"


def get_local_time(city: str) -> str:
    """Get the current local time in a city."""
    return f"It is 14:05 in {city}"


def tour(connection: dict[str, Any], steps: Steps) -> None:
    from langchain_core.messages import HumanMessage
    from pydantic import BaseModel, Field

    from langchain_qwen import ChatQwen

    class CityFacts(BaseModel):
        """Facts about a city."""

        name: str = Field(description="The city's name")
        country: str = Field(description="The country it is in")

    llm = ChatQwen(model=MODEL, **connection)
    with steps.step(f"ChatQwen(model={MODEL!r}).invoke"):
        message = llm.invoke("In one sentence: what is Qwen?")
        steps.show("answer", message.content)
        steps.show("usage", message.usage_metadata)

    with steps.step("stream, token by token"):
        print("    ", end="")
        for chunk in llm.stream("Count from one to five, in words."):
            steps.live(str(chunk.content))
        print(flush=True)

    with steps.step("bind_tools: the model calls a Python function, then answers with its result"):
        with_tools = llm.bind_tools([get_weather])
        question = HumanMessage("What's the weather in Hangzhou?")
        asked = with_tools.invoke([question])
        for call in asked.tool_calls:
            steps.show("tool call", f"{call['name']}({call['args']})")
        from langchain_core.tools import tool

        results = [tool(get_weather).invoke(call) for call in asked.tool_calls]
        steps.show("answer", with_tools.invoke([question, asked, *results]).content)

    with steps.step("with_structured_output: a validated Pydantic object"):
        facts = llm.with_structured_output(CityFacts).invoke("Hangzhou is a city in China.")
        steps.show("parsed", repr(facts))

    _agent(llm, steps)


def _agent(llm: Any, steps: Steps) -> None:
    if importlib.util.find_spec("langchain") is None or importlib.util.find_spec("langchain.agents") is None:
        steps.show("agent", "skipped: create_agent needs the langchain package (pip install langchain)")
        return
    from langchain.agents import create_agent

    with steps.step("create_agent: a tool-calling agent loop (LangGraph) with two tools"):
        agent = create_agent(llm, tools=[get_weather, get_local_time], system_prompt="Answer briefly.")
        request: Any = {"messages": [{"role": "user", "content": "What's the weather and the local time in Hangzhou?"}]}
        for update in agent.stream(request, stream_mode="updates"):
            for node, state in update.items():
                for message in (state or {}).get("messages", []):
                    calls = getattr(message, "tool_calls", None)
                    what = ", ".join(f"{c['name']}({c['args']})" for c in calls) if calls else message.content
                    steps.progress(f"{node}: {what}")
