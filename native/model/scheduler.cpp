#include "model/scheduler.h"

#include <algorithm>
#include <chrono>
#include <string>

#include "model/session.h"

namespace capibara::model {

struct Scheduler::Seq {
  Seq(uint64_t id_, std::vector<int32_t> p, std::vector<PromptImage> im, GenerateParams params, int64_t n_vocab,
      std::shared_ptr<SeqSink> s)
      : id(id_), prompt(std::move(p)), images(std::move(im)), gen(std::move(params), n_vocab, prompt), sink(std::move(s)) {}
  uint64_t id;
  std::vector<int32_t> prompt;      // image positions hold negative ids derived from the image's key
  std::vector<PromptImage> images;  // ascending
  Generator gen;
  std::shared_ptr<SeqSink> sink;
  Slot* slot = nullptr;
  int64_t n_done = 0;         // prompt positions in the cache
  // What was left to evaluate at admission fits one step: taken whole even beside decode rows. A
  // long prompt's tail is not, or its last chunk would be a step several times a decode step.
  bool short_prompt = false;
  std::vector<int32_t> next;  // emitted tokens waiting to be evaluated

  // The image whose span holds position p, or null.
  const PromptImage* image_at(int64_t p) const {
    for (const PromptImage& im : images)
      if (p >= im.pos && p < im.pos + im.n) return &im;
    return nullptr;
  }
  // Positions from n_done to the next image boundary (or the prompt's end).
  int64_t run_left() const {
    if (const PromptImage* im = image_at(n_done)) return im->pos + im->n - n_done;
    int64_t end = static_cast<int64_t>(prompt.size());
    for (const PromptImage& im : images)
      if (im.pos > n_done) {
        end = im.pos;
        break;
      }
    return end - n_done;
  }
};

namespace {

int64_t common_prefix(const std::vector<int32_t>& a, const std::vector<int32_t>& b, int64_t cap) {
  const int64_t n = std::min<int64_t>({static_cast<int64_t>(a.size()), static_cast<int64_t>(b.size()), cap});
  int64_t i = 0;
  while (i < n && a[i] == b[i]) ++i;
  return i;
}

}  // namespace

Scheduler::Scheduler(std::shared_ptr<const Model> model, const SchedulerOptions& opts)
    : model_(std::move(model)), opts_(opts), threads_(opts.n_threads) {
  ex_.pool = &threads_;
  ex_.scratch = &scratch_;
}

Result<std::unique_ptr<Scheduler>> Scheduler::create(std::shared_ptr<const Model> model, const SchedulerOptions& o) {
  const ModelConfig& c = model->config();
  SchedulerOptions opts = o;
  if (opts.n_ctx == 0) opts.n_ctx = std::min<int64_t>(c.n_ctx_train, 4096);
  if (opts.n_seq < 1 || opts.n_seq > 256) return Status(ErrorCode::INVALID_ARGUMENT, "parallel must be in [1, 256]");
  if (opts.n_ctx < 1) return Status(ErrorCode::INVALID_ARGUMENT, "contextSize must be at least 1");
  if (opts.token_budget < 1 || opts.prefill_while_decoding < 1)
    return Status(ErrorCode::INVALID_ARGUMENT, "the token budget per step must be at least 1");
  if (opts.n_threads < 1 || opts.n_threads > 256) return Status(ErrorCode::INVALID_ARGUMENT, "threads must be in [1, 256]");
  if (opts.cache_seqs < 0 || opts.cache_seqs > 256) return Status(ErrorCode::INVALID_ARGUMENT, "promptCache sequences must be in [0, 256]");
  if (opts.max_image < 0) return Status(ErrorCode::INVALID_ARGUMENT, "the image size must not be negative");
  // An image span is never split and must fit a step beside every decode row.
  const int64_t rows = std::max({opts.token_budget, opts.n_seq, opts.max_image + opts.n_seq});
  std::unique_ptr<Scheduler> s(new Scheduler(std::move(model), opts));
  auto pool = KvPool::create(c, opts.n_ctx, opts.n_seq + opts.cache_seqs, rows, opts.kv_type);
  if (!pool) return pool.status();
  s->pool_ = pool.take();
  auto fwd = Forward::create(*s->model_, rows, opts.n_seq, opts.n_ctx, opts.kv_type, opts.n_threads);
  if (!fwd) return fwd.status();
  s->fwd_ = fwd.take();
  CAPIBARA_RETURN_IF_ERROR(reserve_scratch(c, rows, s->scratch_));
  s->logits_.resize(static_cast<size_t>(opts.n_seq * c.n_vocab));
  s->slots_.resize(static_cast<size_t>(s->pool_->n_seq()));
  for (size_t i = 0; i < s->slots_.size(); ++i) s->slots_[i].kv = &s->pool_->seq(static_cast<int64_t>(i));
  s->stats_.kv_capacity = s->pool_->n_seq() * opts.n_ctx;
  s->stats_.kv_bytes = s->pool_->bytes();
  s->stats_.buffer_bytes = s->fwd_->bytes() + s->scratch_.capacity() + s->logits_.size() * sizeof(float);
  s->thread_ = std::thread([p = s.get()] { p->loop(); });
  return s;
}

Scheduler::~Scheduler() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Result<uint64_t> Scheduler::submit(std::vector<int32_t> prompt, GenerateParams params, std::shared_ptr<SeqSink> sink,
                                   std::vector<PromptImage> images) {
  const int64_t n_vocab = model_->config().n_vocab, E = model_->config().n_embd;
  if (prompt.empty()) return Status(ErrorCode::INVALID_ARGUMENT, "the prompt must have at least one token");
  int64_t end = 0;
  for (const PromptImage& im : images) {
    if (im.pos < end || im.n < 1 || im.pos + im.n > static_cast<int64_t>(prompt.size()) || im.key.empty() ||
        static_cast<int64_t>(im.rows.size()) != im.n * E)
      return Status(ErrorCode::INVALID_ARGUMENT, "prompt images must be ascending, non-overlapping spans of n_embd-wide rows inside the prompt");
    if (im.n > opts_.max_image)
      return Status(ErrorCode::INVALID_ARGUMENT, "an image of " + std::to_string(im.n) + " positions exceeds the scheduler's " +
                                                     std::to_string(opts_.max_image));
    // Negative ids keyed by the image bytes: the prompt cache matches a resent image, never another.
    for (int64_t i = 0; i < im.n; ++i)
      prompt[static_cast<size_t>(im.pos + i)] = -1 - (im.key[static_cast<size_t>(i) % im.key.size()] & 0x7fffffff);
    end = im.pos + im.n;
  }
  size_t next_image = 0;
  for (int64_t p = 0; p < static_cast<int64_t>(prompt.size()); ++p) {
    if (next_image < images.size() && p == images[next_image].pos) {
      p += images[next_image++].n - 1;
      continue;
    }
    const int32_t t = prompt[static_cast<size_t>(p)];
    if (t < 0 || t >= n_vocab)
      return Status(ErrorCode::INVALID_ARGUMENT,
                    "token id " + std::to_string(t) + " is outside the vocabulary (size " + std::to_string(n_vocab) + ")");
  }
  if (static_cast<int64_t>(prompt.size()) > opts_.n_ctx)
    return Status(ErrorCode::CONTEXT_FULL, std::to_string(prompt.size()) + " prompt tokens exceed the context size " +
                                               std::to_string(opts_.n_ctx));
  std::lock_guard<std::mutex> lk(mu_);
  const uint64_t id = next_id_++;
  queue_.push_back(std::make_unique<Seq>(id, std::move(prompt), std::move(images), std::move(params), n_vocab, std::move(sink)));
  stats_.queued = static_cast<int64_t>(queue_.size());
  cv_.notify_all();
  return id;
}

void Scheduler::abort(uint64_t id) {
  std::lock_guard<std::mutex> lk(mu_);
  aborts_.push_back(id);
  cv_.notify_all();
}

void Scheduler::wake() {
  std::lock_guard<std::mutex> lk(mu_);
  woken_ = true;
  cv_.notify_all();
}

SchedulerStats Scheduler::stats() const {
  std::lock_guard<std::mutex> lk(mu_);
  return stats_;
}

void Scheduler::loop() {
  for (;;) {
    if (step()) continue;
    std::unique_lock<std::mutex> lk(mu_);
    if (stop_) break;
    cv_.wait_for(lk, std::chrono::milliseconds(50), [&] {
      return stop_ || woken_ || !aborts_.empty() || (!queue_.empty() && static_cast<int64_t>(running_.size()) < opts_.n_seq);
    });
    woken_ = false;
    if (stop_) break;
  }
  std::deque<std::unique_ptr<Seq>> queued;
  {
    std::lock_guard<std::mutex> lk(mu_);
    queued.swap(queue_);
  }
  for (auto& s : queued) finish(*s, StopReason::Aborted);
  for (auto& s : running_) finish(*s, StopReason::Aborted);
  running_.clear();
}

// Called with mu_ held. Picks the free cache sharing the longest prefix with the prompt, when that
// prefix covers at least half of the prompt or of what the cache holds (a shared BOS alone must not
// cost another conversation its cache); otherwise an empty cache, else the least recently used one.
// A longer prefix held by any other cache is copied in.
void Scheduler::admit(std::unique_ptr<Seq> s) {
  const int64_t cap = static_cast<int64_t>(s->prompt.size()) - 1;  // the last prompt token yields the logits
  Slot* best = nullptr;
  int64_t best_n = 0;
  const Slot* src = nullptr;
  int64_t src_n = 0;
  std::vector<int64_t> shared(slots_.size(), 0);
  for (size_t i = 0; i < slots_.size(); ++i) {
    Slot& sl = slots_[i];
    int64_t n = opts_.prompt_cache ? common_prefix(sl.tokens, s->prompt, cap) : 0;
    if (const PromptImage* im = s->image_at(n); im && n > im->pos) n = im->pos;  // an image is evaluated whole
    n = sl.kv->usable_prefix(n);
    shared[i] = n;
    if (n > src_n) {
      src = &sl;
      src_n = n;
    }
    const int64_t held = static_cast<int64_t>(sl.tokens.size());
    if (!sl.seq && n > best_n && 2 * n >= std::min(cap + 1, held)) {
      best = &sl;
      best_n = n;
    }
  }
  if (!best) {
    for (size_t i = 0; i < slots_.size(); ++i) {
      Slot& sl = slots_[i];
      if (sl.seq) continue;
      const auto key = [](const Slot& x) { return std::make_pair(!x.tokens.empty(), x.last_used); };
      if (!best || key(sl) < key(*best)) {
        best = &sl;
        best_n = shared[i];
      }
    }
  }
  if (src && src != best && src_n > best_n) {
    best->kv->copy_prefix(*src->kv, src_n);
    best->tokens.assign(s->prompt.begin(), s->prompt.begin() + src_n);
    best_n = src_n;
  } else {
    best->tokens.resize(static_cast<size_t>(best_n));
    if (best_n == 0) best->kv->reset();
  }
  best->seq = s.get();
  s->slot = best;
  s->n_done = best_n;
  s->short_prompt = static_cast<int64_t>(s->prompt.size()) - best_n <= opts_.short_prompt;
  s->gen.started(best_n);
  stats_.cached_prompt_tokens += best_n;
  ++stats_.active;
  running_.push_back(std::move(s));
}

void Scheduler::finish(Seq& s, StopReason r, const Status& err) {
  s.gen.finish(r);
  if (s.slot) {
    std::lock_guard<std::mutex> lk(mu_);
    --stats_.active;  // before the consumer hears "done"
  }
  s.sink->done(s.gen.reason(), s.gen.stats(), err);
  if (s.slot) {
    s.slot->seq = nullptr;
    s.slot->last_used = ++clock_;
    s.slot = nullptr;
  }
}

bool Scheduler::step() {
  std::vector<uint64_t> aborts;
  std::vector<std::unique_ptr<Seq>> dropped;
  {
    std::lock_guard<std::mutex> lk(mu_);
    aborts.swap(aborts_);
    for (uint64_t id : aborts) {
      auto it = std::find_if(queue_.begin(), queue_.end(), [&](const auto& q) { return q->id == id; });
      if (it == queue_.end()) continue;
      dropped.push_back(std::move(*it));
      queue_.erase(it);
    }
    while (!queue_.empty() && static_cast<int64_t>(running_.size()) < opts_.n_seq) {
      admit(std::move(queue_.front()));
      queue_.pop_front();
    }
    stats_.queued = static_cast<int64_t>(queue_.size());
  }
  for (auto& s : dropped) finish(*s, StopReason::Aborted);
  for (auto& s : running_)
    if (std::find(aborts.begin(), aborts.end(), s->id) != aborts.end()) finish(*s, StopReason::Aborted);

  // The batch: decode rows first, then prompt chunks.
  std::vector<SeqSpan> spans;
  std::vector<Seq*> owners;
  std::vector<int32_t> tokens;
  std::vector<int64_t> out_rows;
  std::vector<Seq*> out_seqs;
  int64_t rows = 0;
  for (auto& s : running_) {
    if (s->gen.done() || s->next.empty() || !s->sink->ready()) continue;
    const int64_t m = static_cast<int64_t>(s->next.size());  // a sampled token and any the grammar forced
    spans.push_back({s->slot->kv, static_cast<int64_t>(s->slot->tokens.size()), m, 0});
    owners.push_back(s.get());
    tokens.insert(tokens.end(), s->next.begin(), s->next.end());
    rows += m;
    out_rows.push_back(rows - 1);
    out_seqs.push_back(s.get());
  }
  int64_t room = std::min(opts_.token_budget, fwd_->n_batch()) - rows;
  if (rows > 0) {
    int64_t limit = opts_.prefill_while_decoding;
    for (auto& s : running_) {
      const int64_t left = static_cast<int64_t>(s->prompt.size()) - s->n_done;
      if (left > 0 && s->short_prompt) limit = std::max(limit, left);
    }
    room = std::min(room, limit);
  }
  // Short prompt remainders first (each fits whole), then the others in admission order. A chunk
  // stops at an image boundary; an image is one span, taken whole when the batch has rows for it
  // (beyond the token budget if need be: it would otherwise wait behind decode rows forever).
  for (const bool short_pass : {true, false})
    for (auto& s : running_) {
      const int64_t left = static_cast<int64_t>(s->prompt.size()) - s->n_done;
      if (s->gen.done() || left <= 0 || s->short_prompt != short_pass) continue;
      const PromptImage* im = s->image_at(s->n_done);
      int64_t m = std::min(s->run_left(), room);
      if (im) m = (room > 0 && rows + im->n <= fwd_->n_batch()) ? im->n : 0;
      if (m <= 0) continue;
      SeqSpan span{s->slot->kv, s->n_done, m, 0};
      if (im) {
        span.embd = im->rows.data();
        span.kv_end = im->pos + im->n;
      }
      spans.push_back(span);
      owners.push_back(s.get());
      tokens.insert(tokens.end(), s->prompt.begin() + s->n_done, s->prompt.begin() + s->n_done + m);
      rows += m;
      room = std::max<int64_t>(0, room - m);
      if (s->n_done + m == static_cast<int64_t>(s->prompt.size())) {
        out_rows.push_back(rows - 1);
        out_seqs.push_back(s.get());
      }
    }

  if (!spans.empty()) {
    const CpuSlot cpu;  // the step's slot of the process's CPU budget, sampling included
    const Status st = fwd_->run(ex_, tokens.data(), spans.data(), spans.size(), out_rows.data(),
                                static_cast<int64_t>(out_rows.size()), logits_.data());
    for (size_t i = 0; i < spans.size(); ++i) {
      Seq& s = *owners[i];
      if (!st) {
        finish(s, StopReason::Error, st);
        continue;
      }
      const int32_t* t = tokens.data() + spans[i].row0;
      s.slot->tokens.insert(s.slot->tokens.end(), t, t + spans[i].n);
      if (!s.next.empty()) s.next.clear();
      else s.n_done += spans[i].n;
    }
    const int64_t V = model_->config().n_vocab;
    for (size_t i = 0; st && i < out_seqs.size(); ++i) {
      Seq& s = *out_seqs[i];
      const std::vector<int32_t>& step = s.gen.next(logits_.data() + i * V, static_cast<int64_t>(s.slot->tokens.size()), opts_.n_ctx);
      for (int32_t tok : step) s.sink->token(tok);
      if (s.gen.done()) finish(s, s.gen.reason(), s.gen.error());
      else s.next = step;
    }
  }
  running_.erase(std::remove_if(running_.begin(), running_.end(), [](const auto& s) { return s->gen.done(); }), running_.end());

  std::lock_guard<std::mutex> lk(mu_);
  if (!spans.empty()) {
    ++stats_.steps;
    stats_.last_batch_tokens = rows;
    stats_.last_batch_seqs = static_cast<int64_t>(spans.size());
  }
  stats_.kv_used = stats_.kv_cached = 0;
  for (const Slot& sl : slots_) (sl.seq ? stats_.kv_used : stats_.kv_cached) += static_cast<int64_t>(sl.tokens.size());
  return !spans.empty();
}

}  // namespace capibara::model
