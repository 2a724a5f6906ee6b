// A plain text table: a header row and rows, columns padded to the widest
// cell, two spaces apart. What mintctl's human output is made of. Cells may
// hold what nodes wrote (a reason, a guest's state): each is PrintableText.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace mint::cli {

class Table {
 public:
  explicit Table(std::vector<std::string> header) : header_(std::move(header)) {}
  void Add(std::vector<std::string> row);
  bool empty() const { return rows_.empty(); }
  void Print(std::ostream& out) const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace mint::cli
