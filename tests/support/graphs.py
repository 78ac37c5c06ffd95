"""A small LangGraph graph for tests: write, an interrupted review, publish."""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.types import interrupt


class Post(TypedDict, total=False):
    topic: str
    draft: str
    decision: str
    log: Annotated[list[str], operator.add]


def write(state: Post) -> Post:
    return {"draft": state["topic"].upper(), "log": ["write"]}


def review(state: Post) -> Post:
    decision = interrupt({"draft": state["draft"]})
    return {"decision": decision, "log": [f"review:{decision}"]}


def publish(state: Post) -> Post:
    return {"log": [f"publish:{state['draft']}:{state['decision']}"]}


def build(saver: Any) -> Any:
    graph = StateGraph(Post)
    graph.add_node("write", write)
    graph.add_node("review", review)
    graph.add_node("publish", publish)
    graph.add_edge(START, "write")
    graph.add_edge("write", "review")
    graph.add_edge("review", "publish")
    graph.add_edge("publish", END)
    return graph.compile(checkpointer=saver)
