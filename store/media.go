package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"
)

// Media is a file the owner uploaded: the stored (cleaned, bounded) image and its thumbnail.
type Media struct {
	ID          int64
	Name        string // file name of the full-size image in the media folder
	ThumbName   string // file name of the thumbnail ("" when the image is small enough)
	MediaType   string
	Size        int64
	Width       int
	Height      int
	Description string // alt text
	Blurhash    string
	FocusX      float64 // -1..1, Mastodon's focal point
	FocusY      float64
	PostID      int64 // the post it is attached to, 0 while unattached
	ScheduledID int64 // the scheduled status it is reserved for, 0 if none
	CreatedAt   time.Time
}

const mediaCols = `id, name, thumb_name, media_type, size, width, height, description, blurhash, focus_x, focus_y,
	ifnull(post_id, 0), created_at, ifnull((SELECT scheduled_id FROM scheduled_media WHERE media_id = media.id), 0)`

func scanMedia(row scanner) (*Media, error) {
	var m Media
	var created int64
	err := row.Scan(&m.ID, &m.Name, &m.ThumbName, &m.MediaType, &m.Size, &m.Width, &m.Height, &m.Description,
		&m.Blurhash, &m.FocusX, &m.FocusY, &m.PostID, &created, &m.ScheduledID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	m.CreatedAt = msTime(created)
	return &m, err
}

// AddMedia records an uploaded file (already written under its name in the media folder).
func (s *Store) AddMedia(ctx context.Context, m *Media) error {
	if m.ID == 0 {
		m.ID = s.NewID()
	}
	return s.tx(ctx, func(tx *wtx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO media (id, name, thumb_name, media_type, size, width, height,
			description, blurhash, focus_x, focus_y, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			m.ID, m.Name, m.ThumbName, m.MediaType, m.Size, m.Width, m.Height, m.Description, m.Blurhash,
			m.FocusX, m.FocusY, s.nowMS())
		return err
	})
}

// MediaByName returns the uploaded file whose full-size or thumbnail file has the given name.
func (s *Store) MediaByName(ctx context.Context, name string) (*Media, error) {
	return scanMedia(s.r.QueryRowContext(ctx, `SELECT `+mediaCols+` FROM media WHERE name = ? OR (thumb_name = ? AND thumb_name != '')`,
		name, name))
}

// MediaByID returns an uploaded file.
func (s *Store) MediaByID(ctx context.Context, id int64) (*Media, error) {
	return scanMedia(s.r.QueryRowContext(ctx, `SELECT `+mediaCols+` FROM media WHERE id = ?`, id))
}

// UpdateMediaDescription sets the alt text and focal point of an upload.
func (s *Store) UpdateMediaDescription(ctx context.Context, id int64, description string, fx, fy float64) error {
	return s.tx(ctx, func(tx *wtx) error {
		res, err := tx.ExecContext(ctx, `UPDATE media SET description = ?, focus_x = ?, focus_y = ? WHERE id = ?`,
			description, fx, fy, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return nil
	})
}

// PostMedia lists the files attached to a post.
func (s *Store) PostMedia(ctx context.Context, postID int64) ([]*Media, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+mediaCols+` FROM media WHERE post_id = ? ORDER BY id`, postID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Media
	for rows.Next() {
		m, err := scanMedia(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// ScheduledMedia returns the uploads reserved by each of the scheduled statuses ids, in the
// order they will be attached.
func (s *Store) ScheduledMedia(ctx context.Context, ids []int64) (map[int64][]*Media, error) {
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT sm.scheduled_id, `+mediaCols+` FROM scheduled_media sm
		JOIN media ON media.id = sm.media_id
		WHERE sm.scheduled_id IN (SELECT value FROM json_each(?)) ORDER BY sm.scheduled_id, sm.position`, string(list))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64][]*Media{}
	for rows.Next() {
		var sid int64
		m, err := scanMedia(prefixScanner{rows, &sid})
		if err != nil {
			return nil, err
		}
		out[sid] = append(out[sid], m)
	}
	return out, rows.Err()
}

// prefixScanner scans one leading column into first and the rest with the wrapped scanner's
// destinations.
type prefixScanner struct {
	row   scanner
	first any
}

func (p prefixScanner) Scan(dest ...any) error { return p.row.Scan(append([]any{p.first}, dest...)...) }
