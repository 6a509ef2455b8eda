/**
 * Built-in chat templates, used when a GGUF file has no `tokenizer.chat_template` (and no override
 * is configured). Each reproduces its family's reference format for system / user / assistant
 * conversations; tests check them against the families' published templates.
 * @module
 */

/** Architectures (GGUF `general.architecture`) with a built-in chat template. */
export type ChatTemplateArch = "llama" | "qwen2" | "phi3" | "gemma3" | "command-r";

/**
 * Mistral / Llama-2 style `[INST]`: BOS once, a system message folded into the first user turn,
 * assistant turns closed by EOS. Roles must alternate user/assistant.
 */
const LLAMA = `{{- bos_token -}}
{%- if messages[0]['role'] == 'system' -%}
  {%- set system_message = messages[0]['content'] -%}
  {%- set loop_messages = messages[1:] -%}
{%- else -%}
  {%- set system_message = '' -%}
  {%- set loop_messages = messages -%}
{%- endif -%}
{%- for message in loop_messages -%}
  {%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) -%}
    {{- raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') -}}
  {%- endif -%}
  {%- if message['role'] == 'user' -%}
    {%- if loop.first and system_message != '' -%}
      {{- '[INST] ' + system_message + '\\n\\n' + message['content'] + ' [/INST]' -}}
    {%- else -%}
      {{- '[INST] ' + message['content'] + ' [/INST]' -}}
    {%- endif -%}
  {%- else -%}
    {{- message['content'] + eos_token -}}
  {%- endif -%}
{%- endfor -%}`;

/** Qwen2 ChatML with Qwen's default system prompt. */
const QWEN2 = `{%- if messages[0]['role'] == 'system' -%}
  {{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' -}}
{%- else -%}
  {{- '<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\\n' -}}
{%- endif -%}
{%- for message in messages -%}
  {%- if not (loop.first and message['role'] == 'system') -%}
    {{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' -}}
  {%- endif -%}
{%- endfor -%}
{%- if add_generation_prompt -%}{{- '<|im_start|>assistant\\n' -}}{%- endif -%}`;

/** Phi-3 family (Phi-4-mini layout): <|role|>content<|end|>, then <|assistant|>. */
const PHI3 = `{%- for message in messages -%}
  {{- '<|' + message['role'] + '|>' + message['content'] + '<|end|>' -}}
{%- endfor -%}
{%- if add_generation_prompt -%}{{- '<|assistant|>' -}}{%- else -%}{{- eos_token -}}{%- endif -%}`;

/** Gemma 3: system text prefixed to the first user turn, assistant role named "model". */
const GEMMA3 = `{{- bos_token -}}
{%- if messages[0]['role'] == 'system' -%}
  {%- set first_user_prefix = messages[0]['content'] + '\\n\\n' -%}
  {%- set loop_messages = messages[1:] -%}
{%- else -%}
  {%- set first_user_prefix = '' -%}
  {%- set loop_messages = messages -%}
{%- endif -%}
{%- for message in loop_messages -%}
  {%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) -%}
    {{- raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') -}}
  {%- endif -%}
  {%- set role = 'model' if message['role'] == 'assistant' else message['role'] -%}
  {{- '<start_of_turn>' + role + '\\n' + (first_user_prefix if loop.first else '') + (message['content'] | trim) + '<end_of_turn>\\n' -}}
{%- endfor -%}
{%- if add_generation_prompt -%}{{- '<start_of_turn>model\\n' -}}{%- endif -%}`;

/** Command-R / Aya: turn tokens around each message, BOS first. */
const COMMAND_R = `{{- bos_token -}}
{%- if messages[0]['role'] == 'system' -%}
  {{- '<|START_OF_TURN_TOKEN|><|SYSTEM_TOKEN|>' + messages[0]['content'] + '<|END_OF_TURN_TOKEN|>' -}}
  {%- set loop_messages = messages[1:] -%}
{%- else -%}
  {%- set loop_messages = messages -%}
{%- endif -%}
{%- for message in loop_messages -%}
  {%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) -%}
    {{- raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') -}}
  {%- endif -%}
  {%- if message['role'] == 'user' -%}
    {{- '<|START_OF_TURN_TOKEN|><|USER_TOKEN|>' + (message['content'] | trim) + '<|END_OF_TURN_TOKEN|>' -}}
  {%- else -%}
    {{- '<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>' + (message['content'] | trim) + '<|END_OF_TURN_TOKEN|>' -}}
  {%- endif -%}
{%- endfor -%}
{%- if add_generation_prompt -%}{{- '<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>' -}}{%- endif -%}`;

/** Built-in template source per architecture. */
export const BUILTIN_CHAT_TEMPLATES: Readonly<Record<ChatTemplateArch, string>> = {
  llama: LLAMA,
  qwen2: QWEN2,
  phi3: PHI3,
  gemma3: GEMMA3,
  "command-r": COMMAND_R,
};

/** Marker an image part becomes, per architecture (Gemma 3 opens an image with its own token). */
export const IMAGE_MARKERS: Readonly<Record<ChatTemplateArch, string>> = {
  llama: "[image]",
  qwen2: "[image]",
  phi3: "[image]",
  gemma3: "<start_of_image>",
  "command-r": "[image]",
};
