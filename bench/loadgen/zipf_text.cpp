#include "zipf_text.hpp"

#include <algorithm>
#include <unordered_set>

namespace windi::loadgen {
namespace {

std::vector<std::string> english_head() {
  return {
      "the",      "of",     "and",     "to",       "a",        "in",       "is",      "it",       "you",
      "that",     "we",     "for",     "on",       "this",     "with",     "be",      "are",      "will",
      "have",     "not",    "can",     "at",       "from",     "or",       "by",      "but",      "all",
      "do",       "if",     "they",    "me",       "about",    "what",     "just",    "so",       "your",
      "there",    "when",   "up",      "out",      "time",     "work",     "new",     "today",    "meeting",
      "please",   "team",   "update",  "thanks",   "now",      "release",  "build",   "review",   "issue",
      "world",    "word",   "report",  "people",   "know",     "need",     "project", "client",   "check",
      "working",  "deploy", "tests",   "message",  "messages", "server",   "change",  "changes",  "morning",
      "tomorrow", "week",   "call",    "plan",     "design",   "budget",   "number",  "question", "answer",
      "problem",  "fixed",  "branch",  "merge",    "version",  "customer", "support", "ticket",   "deadline",
      "document", "notes",  "draft",   "approved", "schedule", "office",   "lunch",   "weekend",  "holiday",
      "database", "backup", "network", "password", "security", "invoice",  "payment", "contract", "launch"};
}

std::vector<std::string> russian_head() {
  return {"и",          "в",         "не",         "на",         "что",      "я",
          "с",          "он",        "как",        "это",        "по",       "но",
          "мы",         "вы",        "все",        "так",        "уже",      "для",
          "еще",        "да",        "нет",        "сегодня",    "завтра",   "работа",
          "работы",     "встреча",   "встречи",    "команда",    "команды",  "сообщение",
          "сообщения",  "отчёт",     "отчёта",     "проект",     "проекта",  "клиент",
          "клиента",    "сервер",    "сервера",    "задача",     "задачи",   "вопрос",
          "вопросы",    "ответ",     "спасибо",    "пожалуйста", "время",    "день",
          "неделя",     "неделе",    "план",       "планы",      "бюджет",   "бюджета",
          "релиз",      "релиза",    "обновление", "изменения",  "проверка", "проверить",
          "документ",   "документы", "договор",    "договора",   "оплата",   "счёт",
          "звонок",     "позвонить", "офис",       "обед",       "выходные", "праздник",
          "база",       "данных",    "копия",      "сеть",       "пароль",   "безопасность",
          "ошибка",     "ошибки",    "исправлено", "ветка",      "версия",   "поддержка",
          "заявка",     "срок",      "сроки",      "заметки",    "черновик", "утверждено",
          "расписание", "новый",     "новая",      "новые",      "готово",   "готов",
          "нужно",      "можно",     "надо",       "будет",      "было",     "есть",
          "очень",      "хорошо",    "сейчас"};
}

std::vector<std::string> english_syllables() {
  return {"ka",  "lo",  "mer", "tin", "ver", "sa", "pro", "dex", "ul",  "ren",
          "mo",  "fi",  "gar", "ton", "bel", "ix", "qua", "ser", "nor", "vi",
          "lan", "tor", "pe",  "wes", "dra", "cu", "zen", "ham", "ori", "bo"};
}

std::vector<std::string> russian_syllables() {
  return {"ка",  "ло",  "мер", "тин", "вер", "са", "про", "дек", "ул",  "рен",
          "мо",  "фи",  "гар", "тон", "бел", "ик", "ква", "сер", "нор", "ви",
          "лан", "тор", "пе",  "вес", "дра", "ку", "зен", "хам", "ори", "бо"};
}

}  // namespace

zipf_vocabulary::zipf_vocabulary(std::vector<std::string> head, std::vector<std::string> const& syllables,
                                 std::size_t size, std::uint64_t seed)
    : words_(std::move(head)) {
  std::unordered_set<std::string> seen(words_.begin(), words_.end());
  std::mt19937_64 random(seed);
  std::uniform_int_distribution<std::size_t> pick(0, syllables.size() - 1);
  std::uniform_int_distribution<int> length(2, 4);
  while (words_.size() < size) {
    std::string w;
    for (int i = length(random); i > 0; --i) w += syllables[pick(random)];
    if (seen.insert(w).second) words_.push_back(std::move(w));
  }
  double total = 0;
  cumulative_.reserve(words_.size());
  for (std::size_t k = 1; k <= words_.size(); ++k)
    cumulative_.push_back(total += 1.0 / static_cast<double>(k));
  for (auto& c : cumulative_) c /= total;
}

std::string const& zipf_vocabulary::draw(std::mt19937_64& random) const {
  double const u = std::uniform_real_distribution<double>(0, 1)(random);
  auto it = std::lower_bound(cumulative_.begin(), cumulative_.end(), u);
  if (it == cumulative_.end()) --it;
  return words_[static_cast<std::size_t>(it - cumulative_.begin())];
}

double zipf_vocabulary::probability(std::size_t rank) const {
  return cumulative_[rank - 1] - (rank > 1 ? cumulative_[rank - 2] : 0.0);
}

zipf_text::zipf_text(std::size_t vocabulary_size)
    : english_(english_head(), english_syllables(), vocabulary_size, 1),
      russian_(russian_head(), russian_syllables(), vocabulary_size, 2) {}

double zipf_text::expected_english_uses(std::size_t rank, double messages) const {
  constexpr double words_per_message = (4 + 16) / 2.0;
  constexpr double english_share = 0.5;
  return messages * english_share * words_per_message * english_.probability(rank);
}

std::string zipf_text::message(std::mt19937_64& random) const {
  auto const& vocabulary = random() % 2 == 0 ? english_ : russian_;
  int const words = std::uniform_int_distribution<int>(4, 16)(random);
  std::string text;
  for (int i = 0; i < words; ++i) {
    if (i > 0) text += ' ';
    text += vocabulary.draw(random);
  }
  return text;
}

}  // namespace windi::loadgen
