// The store contract for uploaded files: their records, who may fetch them (the uploader; no one else until a
// message holds the file), the per-user total, and the cleanup of uploads no message holds. Every backend.
#include "contract/store_fixture.hpp"

namespace windi::testing {
namespace {

std::string sha(char c) { return std::string(64, c); }

class store_files : public store_contract {
 protected:
  void SetUp() override {
    store_contract::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    alice_ = add_user("alice");
    bob_ = add_user("bob");
  }

  file_record upload(user const& owner, std::string blob, micros at = t0, std::int64_t size = 1000,
                     std::optional<std::string> thumbnail = std::nullopt) {
    new_file f;
    f.owner = owner.id;
    f.name = "photo.jpg";
    f.size = size;
    f.content_type = "image/jpeg";
    f.width = 4000;
    f.height = 3000;
    f.blob = std::move(blob);
    f.thumbnail = std::move(thumbnail);
    f.thumbnail_size = f.thumbnail ? 100 : 0;
    f.created_at = at;
    return run(db_->create_file(std::move(f))).value();
  }

  using strings = std::vector<std::string>;

  // The released blobs that blob storage may remove at `at` (released before it), sorted.
  strings released(micros at) {
    auto out = run(db_->released_blobs(at, 100)).value();
    std::sort(out.begin(), out.end());
    return out;
  }

  user alice_, bob_;
};

TEST_P(store_files, TheUploaderGetsTheRecordAsStored) {
  auto created = upload(alice_, sha('a'), t0, 1234, sha('b'));
  EXPECT_GT(created.id, 0);
  auto found = run(db_->get_file(created.id, alice_.id));
  ASSERT_TRUE(found.has_value()) << found.error().detail;
  EXPECT_EQ(found->id, created.id);
  EXPECT_EQ(found->owner, alice_.id);
  EXPECT_EQ(found->name, "photo.jpg");
  EXPECT_EQ(found->size, 1234);
  EXPECT_EQ(found->content_type, "image/jpeg");
  EXPECT_EQ(found->width, 4000);
  EXPECT_EQ(found->height, 3000);
  EXPECT_EQ(found->blob, sha('a'));
  EXPECT_EQ(found->thumbnail, sha('b'));
  EXPECT_EQ(found->thumbnail_size, 100);
  EXPECT_EQ(found->created_at, t0);
}

TEST_P(store_files, AFileWithoutImageFieldsKeepsThemEmpty) {
  new_file f;
  f.owner = alice_.id;
  f.name = "notes.txt";
  f.size = 5;
  f.content_type = "text/plain";
  f.blob = sha('c');
  f.created_at = t0;
  auto created = run(db_->create_file(f)).value();
  auto found = run(db_->get_file(created.id, alice_.id)).value();
  EXPECT_FALSE(found.width.has_value());
  EXPECT_FALSE(found.height.has_value());
  EXPECT_FALSE(found.thumbnail.has_value());
  EXPECT_EQ(found.thumbnail_size, 0);
}

TEST_P(store_files, AnUnknownOwnerIsNotFound) {
  new_file f;
  f.owner = 987654;
  f.name = "x";
  f.content_type = "text/plain";
  f.blob = sha('d');
  auto created = run(db_->create_file(f));
  ASSERT_FALSE(created.has_value());
  EXPECT_EQ(created.error().code, errc::not_found);
}

TEST_P(store_files, NobodyElseSeesAnUnattachedUploadAndAMissingFileLooksTheSame) {
  auto mine = upload(alice_, sha('a'));
  auto theirs = run(db_->get_file(mine.id, bob_.id));
  ASSERT_FALSE(theirs.has_value());
  EXPECT_EQ(theirs.error().code, errc::not_found);
  auto missing = run(db_->get_file(mine.id + 1000, alice_.id));
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, errc::not_found);
  EXPECT_EQ(theirs.error().detail, missing.error().detail);
}

TEST_P(store_files, StoredBytesCountEveryFileAndThumbnailOfTheOwner) {
  EXPECT_EQ(run(db_->stored_bytes(alice_.id)).value(), 0);
  upload(alice_, sha('a'), t0, 1000);
  upload(alice_, sha('b'), t0, 500, sha('c'));
  upload(bob_, sha('d'), t0, 7);
  EXPECT_EQ(run(db_->stored_bytes(alice_.id)).value(), 1000 + 500 + 100);
  EXPECT_EQ(run(db_->stored_bytes(bob_.id)).value(), 7);
}

TEST_P(store_files, CleanupRemovesOldUnattachedUploadsAndReleasesBlobsNoFileUses) {
  auto old_one = upload(alice_, sha('a'), t0, 10, sha('b'));
  auto old_shared = upload(alice_, sha('c'), t0);
  auto fresh_same_bytes = upload(bob_, sha('c'), t0 + 10'000'000);
  auto fresh = upload(bob_, sha('e'), t0 + 10'000'000);

  EXPECT_EQ(run(db_->remove_unattached_files(t0 + 1'000'000, 100, t0 + 2'000'000)).value(), 2);
  // sha('c') is still the blob of a newer upload: it stays.
  EXPECT_EQ(released(t0 + 2'000'001), (strings{sha('a'), sha('b')}));
  EXPECT_EQ(run(db_->get_file(old_one.id, alice_.id)).error().code, errc::not_found);
  EXPECT_EQ(run(db_->get_file(old_shared.id, alice_.id)).error().code, errc::not_found);
  EXPECT_TRUE(run(db_->get_file(fresh_same_bytes.id, bob_.id)).has_value());
  EXPECT_TRUE(run(db_->get_file(fresh.id, bob_.id)).has_value());
  EXPECT_EQ(run(db_->stored_bytes(alice_.id)).value(), 0);
}

TEST_P(store_files, CleanupTakesAtMostTheLimitOldestFirst) {
  auto first = upload(alice_, sha('1'), t0);
  auto second = upload(alice_, sha('2'), t0 + 1);
  auto third = upload(alice_, sha('3'), t0 + 2);
  EXPECT_EQ(run(db_->remove_unattached_files(t0 + 1'000'000, 2, t0 + 5)).value(), 2);
  EXPECT_EQ(released(t0 + 6), (strings{sha('1'), sha('2')}));
  EXPECT_FALSE(run(db_->get_file(first.id, alice_.id)).has_value());
  EXPECT_FALSE(run(db_->get_file(second.id, alice_.id)).has_value());
  EXPECT_TRUE(run(db_->get_file(third.id, alice_.id)).has_value());
  EXPECT_EQ(run(db_->remove_unattached_files(t0 + 1'000'000, 2, t0 + 5)).value(), 1);
  EXPECT_EQ(released(t0 + 6), (strings{sha('1'), sha('2'), sha('3')}));
}

TEST_P(store_files, AReleasedBlobUploadedAgainIsNoLongerReleasedAndForgettingIsFinal) {
  upload(alice_, sha('a'), t0);
  upload(alice_, sha('b'), t0);
  run(db_->remove_unattached_files(t0 + 10, 100, t0 + 20)).value();
  EXPECT_EQ(released(t0 + 21), (strings{sha('a'), sha('b')}));
  // The same bytes as sha('a') uploaded anew: its blob is a file's again and must stay.
  upload(bob_, sha('a'), t0 + 30);
  EXPECT_EQ(released(t0 + 31), strings{sha('b')});
  run(db_->forget_released_blob(sha('b'))).value();
  EXPECT_EQ(released(t0 + 31), strings{});
}

// --- files held by messages

class store_attachments : public store_files {
 protected:
  void SetUp() override {
    store_files::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    carol_ = add_user("carol");
    team_ = group(alice_.id, {bob_.id});
  }

  outcome<appended_message> send_files(user const& sender, std::vector<file_id> files, std::string text = "",
                                       std::optional<std::string> client_id = std::nullopt) {
    new_message m{team_.id, sender.id,    std::move(text), std::move(client_id),
                  t0,       std::nullopt, std::move(files)};
    return run(db_->append_message(std::move(m)));
  }

  user carol_;
  chat team_;
};

TEST_P(store_attachments, AMessageHoldsItsFilesInOrderWhereverItIsRead) {
  auto photo = upload(alice_, sha('a'), t0, 1000, sha('b'));
  new_file doc;
  doc.owner = alice_.id;
  doc.name = "notes.txt";
  doc.size = 5;
  doc.content_type = "text/plain";
  doc.blob = sha('c');
  doc.created_at = t0;
  auto notes = run(db_->create_file(doc)).value();

  auto sent = send_files(alice_, {notes.id, photo.id}, "see these").value();
  ASSERT_EQ(sent.stored.attachments.size(), 2u);
  EXPECT_EQ(sent.stored.attachments[0].id, notes.id);
  EXPECT_EQ(sent.stored.attachments[0].name, "notes.txt");
  EXPECT_EQ(sent.stored.attachments[0].content_type, "text/plain");
  EXPECT_FALSE(sent.stored.attachments[0].width.has_value());
  EXPECT_FALSE(sent.stored.attachments[0].has_thumbnail);
  EXPECT_EQ(sent.stored.attachments[1].id, photo.id);
  EXPECT_EQ(sent.stored.attachments[1].size, 1000);
  EXPECT_EQ(sent.stored.attachments[1].width, 4000);
  EXPECT_EQ(sent.stored.attachments[1].height, 3000);
  EXPECT_TRUE(sent.stored.attachments[1].has_thumbnail);

  auto again = run(db_->get_message(sent.stored.id)).value();
  ASSERT_EQ(again.attachments.size(), 2u);
  EXPECT_EQ(again.attachments[1].id, photo.id);
  auto page = run(db_->history({team_.id, 20, 0, std::nullopt, std::nullopt})).value();
  ASSERT_EQ(page.size(), 1u);
  EXPECT_EQ(page[0].attachments.size(), 2u);
  auto changes = run(db_->changes_since(team_.id, 0, 100)).value();
  ASSERT_EQ(changes.messages.size(), 1u);
  EXPECT_EQ(changes.messages[0].attachments.size(), 2u);
  auto chats = run(db_->list_chats(bob_.id)).value();
  ASSERT_EQ(chats.size(), 1u);
  ASSERT_TRUE(chats[0].last_message.has_value());
  EXPECT_EQ(chats[0].last_message->attachments.size(), 2u);
}

TEST_P(store_attachments, OnlyTheUploaderCanAttachAndAMissingFileLooksTheSame) {
  auto bobs = upload(bob_, sha('a'));
  auto theirs = send_files(alice_, {bobs.id});
  ASSERT_FALSE(theirs.has_value());
  EXPECT_EQ(theirs.error().code, errc::validation);
  EXPECT_EQ(theirs.error().field, "attachments");
  auto missing = send_files(alice_, {bobs.id + 1000});
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().detail, theirs.error().detail);
  // Nothing was stored by either.
  EXPECT_EQ(run(db_->get_chat(team_.id)).value().last_seq, 0);
}

TEST_P(store_attachments, AResendReturnsTheStoredMessageWithItsFiles) {
  auto photo = upload(alice_, sha('a'));
  auto first = send_files(alice_, {photo.id}, "", std::string("cid-1")).value();
  auto again = send_files(alice_, {photo.id}, "", std::string("cid-1")).value();
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(again.stored.id, first.stored.id);
  ASSERT_EQ(again.stored.attachments.size(), 1u);
  EXPECT_EQ(again.stored.attachments[0].id, photo.id);
}

TEST_P(store_attachments, MembersOfTheChatCanFetchTheFileOutsidersAndFormerMembersCannot) {
  auto photo = upload(alice_, sha('a'));
  send_files(alice_, {photo.id}).value();
  EXPECT_TRUE(run(db_->get_file(photo.id, bob_.id)).has_value());
  EXPECT_EQ(run(db_->get_file(photo.id, carol_.id)).error().code, errc::not_found);
  EXPECT_TRUE(run(db_->get_chat_file(photo.id, team_.id)).has_value());
  auto elsewhere = group(carol_.id, {bob_.id});
  EXPECT_EQ(run(db_->get_chat_file(photo.id, elsewhere.id)).error().code, errc::not_found);
  run(db_->remove_member(team_.id, bob_.id)).value();
  EXPECT_EQ(run(db_->get_file(photo.id, bob_.id)).error().code, errc::not_found);
}

TEST_P(store_attachments, DeletingAMessageRemovesTheFilesNoOtherMessageHolds) {
  auto only_here = upload(alice_, sha('a'), t0, 10, sha('b'));
  auto shared = upload(alice_, sha('c'));
  auto same_bytes = upload(alice_, sha('d'));
  auto same_bytes_twin = upload(alice_, sha('d'));
  auto first = send_files(alice_, {only_here.id, shared.id, same_bytes.id}).value();
  send_files(alice_, {shared.id}).value();

  auto deleted = run(db_->delete_message(first.stored.id, alice_.id, t0 + 1)).value();
  EXPECT_TRUE(deleted.stored.deleted);
  EXPECT_TRUE(deleted.stored.attachments.empty());
  // sha('c') is still another message's file; sha('d') is the blob of another upload of the same bytes.
  EXPECT_EQ(released(t0 + 2), (strings{sha('a'), sha('b')}));
  EXPECT_EQ(released(t0 + 1), strings{}) << "released at the deletion's time";
  EXPECT_EQ(run(db_->get_file(only_here.id, alice_.id)).error().code, errc::not_found);
  EXPECT_EQ(run(db_->get_file(same_bytes.id, alice_.id)).error().code, errc::not_found);
  EXPECT_TRUE(run(db_->get_file(shared.id, bob_.id)).has_value());
  EXPECT_TRUE(run(db_->get_file(same_bytes_twin.id, alice_.id)).has_value());
  EXPECT_TRUE(run(db_->get_message(first.stored.id)).value().attachments.empty());
  // Deleting again changes nothing.
  auto again = run(db_->delete_message(first.stored.id, alice_.id, t0 + 5)).value();
  EXPECT_EQ(again.change, 0);
  EXPECT_EQ(released(t0 + 2), (strings{sha('a'), sha('b')}));
}

TEST_P(store_attachments, CleanupNeverRemovesAFileAMessageHolds) {
  auto held = upload(alice_, sha('a'));
  auto loose = upload(alice_, sha('b'));
  send_files(alice_, {held.id}).value();
  EXPECT_EQ(run(db_->remove_unattached_files(t0 + 1'000'000, 100, t0 + 1'000'000)).value(), 1);
  EXPECT_EQ(released(t0 + 1'000'001), strings{sha('b')});
  EXPECT_TRUE(run(db_->get_file(held.id, bob_.id)).has_value());
  EXPECT_FALSE(run(db_->get_file(loose.id, alice_.id)).has_value());
}

INSTANTIATE_TEST_SUITE_P(backends, store_attachments, ::testing::ValuesIn(store_backends()),
                         [](auto const& info) { return info.param.name; });

INSTANTIATE_TEST_SUITE_P(backends, store_files, ::testing::ValuesIn(store_backends()),
                         [](auto const& info) { return info.param.name; });

}  // namespace
}  // namespace windi::testing
