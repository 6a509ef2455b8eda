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
  Cache* cache = nullptr;
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
  if (opts.kv_tokens < 0 || opts.kv_tokens > (int64_t{1} << 40)) return Status(ErrorCode::INVALID_ARGUMENT, "kvCacheTokens must be in [0, 2^40]");
  if (opts.max_image < 0) return Status(ErrorCode::INVALID_ARGUMENT, "the image size must not be negative");
  // An image span is never split and must fit a step beside every decode row.
  const int64_t rows = std::max({opts.token_budget, opts.n_seq, opts.max_image + opts.n_seq});
  std::unique_ptr<Scheduler> s(new Scheduler(std::move(model), opts));
  s->chunk_ = rows;
  auto pool = KvPool::create(c, kv_pool_blocks(c, opts.n_ctx, opts.n_seq + opts.cache_seqs, rows, opts.kv_tokens), opts.kv_type);
  if (!pool) return pool.status();
  s->pool_ = pool.take();
  s->pool_->set_reclaim([p = s.get()] { return p->evict_one(); });
  s->marks_.assign(static_cast<size_t>(s->pool_->n_blocks()), 0);
  auto fwd = Forward::create(*s->model_, rows, opts.n_seq, opts.n_ctx, opts.kv_type, opts.n_threads);
  if (!fwd) return fwd.status();
  s->fwd_ = fwd.take();
  CAPIBARA_RETURN_IF_ERROR(reserve_scratch(c, rows, s->scratch_));
  s->logits_.resize(static_cast<size_t>(opts.n_seq * c.n_vocab));
  s->stats_.kv_capacity = opts.kv_tokens > 0 ? opts.kv_tokens : (opts.n_seq + opts.cache_seqs) * opts.n_ctx;
  s->stats_.kv_blocks_total = s->pool_->n_blocks();
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
  const int64_t P = static_cast<int64_t>(prompt.size());
  if (P > opts_.n_ctx)
    return Status(ErrorCode::CONTEXT_FULL, std::to_string(P) + " prompt tokens exceed the context size " + std::to_string(opts_.n_ctx));
  const int64_t need = kv_blocks_to_grow(model_->config(), 0, std::min(P + 1, opts_.n_ctx), chunk_);
  if (need > pool_->n_blocks())
    return Status(ErrorCode::CONTEXT_FULL, std::to_string(P) + " prompt tokens need " + std::to_string(need) +
                                               " KV blocks, more than the pool's " + std::to_string(pool_->n_blocks()) +
                                               " (kvCacheTokens)");
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
      return stop_ || woken_ || !aborts_.empty() ||
             (!queue_.empty() && !admit_blocked_ && static_cast<int64_t>(running_.size()) < opts_.n_seq);
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

// Shares the longest usable prefix any cache holds (running or finished; an image is reused whole
// or not at all). A finished cache the new one covers entirely is dropped: the new one holds it all.
bool Scheduler::admit(std::unique_ptr<Seq>& s) {
  const ModelConfig& c = model_->config();
  const int64_t P = static_cast<int64_t>(s->prompt.size());
  const int64_t cap = P - 1;  // the last prompt token yields the logits
  Cache* src = nullptr;
  int64_t n = 0;
  for (Cache& cc : caches_) {
    int64_t m = opts_.prompt_cache ? common_prefix(cc.tokens, s->prompt, cap) : 0;
    if (const PromptImage* im = s->image_at(m); im && m > im->pos) m = im->pos;
    m = cc.kv.usable_prefix(m);
    if (m > n) {
      src = &cc;
      n = m;
    }
  }
  Cache& mine = caches_.emplace_back(*pool_, c, chunk_);
  if (src) mine.kv.share_prefix(src->kv, n);
  // Blocks the pool can still give: those neither running sequences nor this one hold, less what the
  // prompts being evaluated still need. With nothing running the sequence is admitted regardless.
  int64_t owed = kv_blocks_to_grow(c, n, std::min(P + 1, opts_.n_ctx), chunk_);
  for (const auto& r : running_)
    owed += kv_blocks_to_grow(c, static_cast<int64_t>(r->cache->tokens.size()),
                              std::min(static_cast<int64_t>(r->prompt.size()) + 1, opts_.n_ctx), chunk_);
  if (!running_.empty() && running_blocks(&mine.kv) + owed > pool_->n_blocks()) {
    caches_.pop_back();
    return false;
  }
  mine.tokens.assign(s->prompt.begin(), s->prompt.begin() + n);
  mine.seq = s.get();
  if (src && !src->seq) {
    if (n == static_cast<int64_t>(src->tokens.size())) caches_.remove_if([src](const Cache& x) { return &x == src; });
    else src->last_used = ++clock_;
  }
  s->cache = &mine;
  s->n_done = n;
  s->short_prompt = P - n <= opts_.short_prompt;
  s->gen.started(n);
  stats_.cached_prompt_tokens += n;
  ++stats_.active;
  running_.push_back(std::move(s));
  return true;
}

int64_t Scheduler::running_blocks(const KvCache* extra) {
  if (++epoch_ == 0) {  // wrapped: old marks could alias the new epoch
    std::fill(marks_.begin(), marks_.end(), 0);
    epoch_ = 1;
  }
  int64_t n = 0;
  const auto count = [&](const KvCache& kv) {
    for (int64_t il = 0; il < kv.n_layer(); ++il)
      for (int32_t b : kv.table(il))
        if (b >= 0 && marks_[static_cast<size_t>(b)] != epoch_) {
          marks_[static_cast<size_t>(b)] = epoch_;
          ++n;
        }
  };
  for (const auto& r : running_)
    if (r->cache) count(r->cache->kv);
  if (extra) count(*extra);
  return n;
}

bool Scheduler::evict_one() {
  auto lru = caches_.end();
  for (auto it = caches_.begin(); it != caches_.end(); ++it)
    if (!it->seq && (lru == caches_.end() || it->last_used < lru->last_used)) lru = it;
  if (lru == caches_.end()) return false;
  caches_.erase(lru);
  return true;
}

bool Scheduler::prepare(Seq& s, int64_t pos0, int64_t n) {
  if (s.cache->kv.prepare(pos0, n)) return true;
  finish(s, StopReason::Error,
         Status(ErrorCode::CONTEXT_FULL, "the KV pool is exhausted: every block is held by running sequences (" +
                                             std::to_string(pool_->n_blocks()) + " blocks; see kvCacheTokens)"));
  return false;
}

void Scheduler::finish(Seq& s, StopReason r, const Status& err) {
  s.gen.finish(r);
  if (s.cache) {
    std::lock_guard<std::mutex> lk(mu_);
    --stats_.active;  // before the consumer hears "done"
  }
  s.sink->done(s.gen.reason(), s.gen.stats(), err);
  if (Cache* c = s.cache) {
    admit_blocked_ = false;  // its blocks may let the queue's head in
    s.cache = nullptr;
    c->seq = nullptr;
    c->last_used = ++clock_;
    // A failed sequence's cache may hold rows it never finished writing.
    if (!opts_.prompt_cache || r == StopReason::Error) caches_.remove_if([c](const Cache& x) { return &x == c; });
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
    admit_blocked_ = false;
    while (!queue_.empty() && static_cast<int64_t>(running_.size()) < opts_.n_seq) {
      if (!admit(queue_.front())) {
        admit_blocked_ = true;
        break;
      }
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
    const int64_t pos0 = static_cast<int64_t>(s->cache->tokens.size());
    if (!prepare(*s, pos0, m)) continue;
    spans.push_back({&s->cache->kv, pos0, m, 0});
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
      if (m <= 0 || !prepare(*s, s->n_done, m)) continue;
      SeqSpan span{&s->cache->kv, s->n_done, m, 0};
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
      s.cache->tokens.insert(s.cache->tokens.end(), t, t + spans[i].n);
      if (!s.next.empty()) s.next.clear();
      else s.n_done += spans[i].n;
    }
    const int64_t V = model_->config().n_vocab;
    for (size_t i = 0; st && i < out_seqs.size(); ++i) {
      Seq& s = *out_seqs[i];
      const std::vector<int32_t>& step = s.gen.next(logits_.data() + i * V, static_cast<int64_t>(s.cache->tokens.size()), opts_.n_ctx);
      for (int32_t tok : step) s.sink->token(tok);
      if (s.gen.done()) finish(s, s.gen.reason(), s.gen.error());
      else s.next = step;
    }
  }
  running_.erase(std::remove_if(running_.begin(), running_.end(), [](const auto& s) { return s->gen.done(); }), running_.end());
  const int64_t used = running_blocks(nullptr);

  std::lock_guard<std::mutex> lk(mu_);
  if (!spans.empty()) {
    ++stats_.steps;
    stats_.last_batch_tokens = rows;
    stats_.last_batch_seqs = static_cast<int64_t>(spans.size());
  }
  stats_.kv_used = stats_.kv_cached = 0;
  for (const Cache& cc : caches_) (cc.seq ? stats_.kv_used : stats_.kv_cached) += static_cast<int64_t>(cc.tokens.size());
  stats_.kv_blocks_used = used;
  stats_.kv_blocks_cached = pool_->n_blocks() - pool_->n_free() - used;
  return !spans.empty();
}

}  // namespace capibara::model
