class Solution {
public:
    int numIslands(vector<vector<string>>& grid) {
        int rows = grid.size(), cols = grid[0].size(), islands = 0;
        vector<vector<bool>> seen(rows, vector<bool>(cols));
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                if (grid[r][c] != "1" || seen[r][c]) continue;
                islands++;
                seen[r][c] = true;
                vector<pair<int, int>> stack{{r, c}};
                while (!stack.empty()) {
                    auto [y, x] = stack.back();
                    stack.pop_back();
                    int dy[] = {1, -1, 0, 0}, dx[] = {0, 0, 1, -1};
                    for (int k = 0; k < 4; k++) {
                        int ny = y + dy[k], nx = x + dx[k];
                        if (ny >= 0 && ny < rows && nx >= 0 && nx < cols && grid[ny][nx] == "1" && !seen[ny][nx]) {
                            seen[ny][nx] = true;
                            stack.push_back({ny, nx});
                        }
                    }
                }
            }
        }
        return islands;
    }
};
