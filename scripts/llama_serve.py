"""`python -m llama_cpp.server`, plus one chat format: ChatML with tools (``--chat_format chatml-tools``).

Runs inside the llama.cpp runtime venv (``scripts/real-model.sh start`` uses it), never in the
project's venv. Why a wrapper instead of llama-cpp-python's own ``chatml-function-calling``
(measured with 0.3.36):

* without ``tool_choice`` in the request it renders no tools at all, so the model never sees
  them (OpenAI's default is "auto"; the app, like most clients, leaves it out);
* with ``tool_choice: "auto"`` and ``stream: true`` it raises "Automatic streaming tool choice is
  not supported" once the model picks a tool: the client gets a 200 with an empty stream;
* its template has no branch for ``role: tool``: tool results never reach the model.

The app always streams and feeds tool results back, so that format cannot carry a real chat loop.
``chatml-tools`` is Qwen2.5's own template (the models served here all speak ChatML): tools are
listed in the system message, calls come back as ``<tool_call>{...}</tool_call>`` text, which the
app's text tool-call parser turns into calls, and results go back as ``<tool_response>``. This is
how Ollama and ``llama-server --jinja`` prompt Qwen models too; they parse the tags server-side.

``--force-named-tool`` (protocol mode, for the SmolLM2-135M smoke tier only): when a request
carries tools but no ``tool_choice``, ends with a user message, and that message names exactly
one of the tools, the server answers as if ``tool_choice`` named that tool, so the reply is a
grammar-constrained native tool call (streamed as ``tool_calls`` deltas). A 135M model does not
call tools on its own, even when told the exact call to write; this keeps the smoke tier about
the app's protocol (stream, call, run, feed back, answer) and not about the model's judgment.
Replies after a tool result, and requests without tools (verifier, summary), are never forced.

One change from Qwen's template: arguments that arrive as a JSON string (OpenAI's wire shape) are
written as they are; the original pipes them through ``tojson`` and so shows the model its own
earlier calls double-encoded, which invites it to double-encode the next one.
"""

from __future__ import annotations

import sys
from typing import Any

from llama_cpp import llama_chat_format as fmt
from llama_cpp.server.__main__ import main

CHATML_TOOLS_TEMPLATE = (
    "{%- if tools %}"
    "{{- '<|im_start|>system\\n' }}"
    "{%- if messages[0]['role'] == 'system' %}{{- messages[0]['content'] }}"
    "{%- else %}{{- 'You are a helpful assistant.' }}{%- endif %}"
    '{{- "\\n\\n# Tools\\n\\nYou may call one or more functions to assist with the user query.\\n\\n'
    'You are provided with function signatures within <tools></tools> XML tags:\\n<tools>" }}'
    "{%- for tool in tools %}{{- '\\n' }}{{- tool | tojson }}{%- endfor %}"
    '{{- "\\n</tools>\\n\\nFor each function call, return a json object with function name and '
    "arguments within <tool_call></tool_call> XML tags:\\n<tool_call>\\n"
    '{\\"name\\": <function-name>, \\"arguments\\": <args-json-object>}\\n</tool_call><|im_end|>\\n" }}'
    "{%- else %}"
    "{%- if messages[0]['role'] == 'system' %}"
    "{{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}"
    "{%- else %}{{- '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{%- endif %}"
    "{%- endif %}"
    "{%- for message in messages %}"
    "{%- if (message.role == 'user') or (message.role == 'system' and not loop.first)"
    " or (message.role == 'assistant' and not message.tool_calls) %}"
    "{{- '<|im_start|>' + message.role + '\\n' + (message.content or '') + '<|im_end|>\\n' }}"
    "{%- elif message.role == 'assistant' %}"
    "{{- '<|im_start|>' + message.role }}"
    "{%- if message.content %}{{- '\\n' + message.content }}{%- endif %}"
    "{%- for tool_call in message.tool_calls %}"
    "{%- if tool_call.function is defined %}{%- set tool_call = tool_call.function %}{%- endif %}"
    '{{- \'\\n<tool_call>\\n{"name": "\' }}{{- tool_call.name }}{{- \'", "arguments": \' }}'
    "{%- if tool_call.arguments is string %}{{- tool_call.arguments }}"
    "{%- else %}{{- tool_call.arguments | tojson }}{%- endif %}"
    "{{- '}\\n</tool_call>' }}"
    "{%- endfor %}"
    "{{- '<|im_end|>\\n' }}"
    "{%- elif message.role == 'tool' %}"
    "{%- if (loop.index0 == 0) or (messages[loop.index0 - 1].role != 'tool') %}"
    "{{- '<|im_start|>user' }}{%- endif %}"
    "{{- '\\n<tool_response>\\n' }}{{- message.content }}{{- '\\n</tool_response>' }}"
    "{%- if loop.last or (messages[loop.index0 + 1].role != 'tool') %}{{- '<|im_end|>\\n' }}{%- endif %}"
    "{%- endif %}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
)


FORCE_FLAG = "--force-named-tool"


def _named_tool(messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> str | None:
    last = messages[-1] if messages else None
    if last is None or last.get("role") != "user" or not isinstance(last.get("content"), str):
        return None
    names = [t["function"]["name"] for t in tools if t.get("type") == "function"]
    named = [n for n in names if n in last["content"]]
    return named[0] if len(named) == 1 else None


def _register(force_named_tool: bool) -> None:
    formatter = fmt.Jinja2ChatFormatter(
        template=CHATML_TOOLS_TEMPLATE, eos_token="<|im_end|>", bos_token="", add_generation_prompt=True
    )
    base = fmt.chat_formatter_to_chat_completion_handler(formatter)

    def handler(**kwargs: Any) -> Any:
        tools = kwargs.get("tools")
        if force_named_tool and tools and kwargs.get("tool_choice") is None:
            name = _named_tool(kwargs.get("messages") or [], tools)
            if name is not None:
                kwargs["tool_choice"] = {"type": "function", "function": {"name": name}}
        return base(**kwargs)

    fmt.LlamaChatCompletionHandlerRegistry().register_chat_completion_handler(
        "chatml-tools", handler, overwrite=True
    )


if __name__ == "__main__":
    force = FORCE_FLAG in sys.argv
    _register(force)
    sys.argv = ["llama_cpp.server", *(a for a in sys.argv[1:] if a != FORCE_FLAG)]
    main()
