#pragma once
// Message texts for the search benchmark: words drawn with a Zipf distribution (the k-th most frequent word
// appears with probability proportional to 1/k, as in natural language) from an English and a Russian
// vocabulary, each message in one language. The head of each vocabulary is a list of frequent real words;
// its tail is made of pronounceable generated words, so a vocabulary is as long as asked and the same seed
// gives the same texts.
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace windi::loadgen {

class zipf_vocabulary {
 public:
  // `head`: real words, most frequent first; then generated words from `syllables` up to `size` words.
  zipf_vocabulary(std::vector<std::string> head, std::vector<std::string> const& syllables, std::size_t size,
                  std::uint64_t seed);
  std::string const& word(std::size_t rank) const { return words_[rank - 1]; }  // rank 1 is the most frequent
  std::size_t size() const { return words_.size(); }
  std::string const& draw(std::mt19937_64& random) const;
  // How often the word of this rank is drawn.
  double probability(std::size_t rank) const;

 private:
  std::vector<std::string> words_;
  std::vector<double> cumulative_;  // cumulative_[i]: probability of ranks 1 .. i+1
};

class zipf_text {
 public:
  explicit zipf_text(std::size_t vocabulary_size = 20'000);
  // A message of 4 to 16 words, English or Russian with even odds.
  std::string message(std::mt19937_64& random) const;
  // How many times the English word of this rank is expected in `messages` messages.
  double expected_english_uses(std::size_t rank, double messages) const;
  zipf_vocabulary const& english() const { return english_; }
  zipf_vocabulary const& russian() const { return russian_; }

 private:
  zipf_vocabulary english_;
  zipf_vocabulary russian_;
};

}  // namespace windi::loadgen
